import { consumerToWire, consumerUpdateConfig, streamToWire } from "../../components/jetstream/wire";
import { addStream, openManager } from "../helpers/jetstream";
import { startCluster, startServer } from "../helpers/nats-servers";
it("scratch", async () => {
  for (const mk of [() => startServer(), () => startCluster(3)]) {
    const s: any = await mk();
    const admin = await openManager(s.urls ?? s.url);
    await addStream(admin.jsm, streamToWire({ name: "S", subjects: ["s.>"] }));
    await admin.jsm.consumers.add("S", consumerToWire({ stream: "S", durableName: "c1" }) as any);
    const up = await admin.jsm.consumers.update("S", "c1", consumerUpdateConfig(consumerToWire({ stream: "S", durableName: "c1", pauseUntil: "2031-01-01T00:00:00Z" })) as any);
    console.log("update says", JSON.stringify(up.config.pause_until), JSON.stringify((up as any).paused));
    await new Promise((r) => setTimeout(r, 500));
    const ci = await admin.jsm.consumers.info("S", "c1");
    console.log("info says", JSON.stringify(ci.config.pause_until), JSON.stringify((ci as any).paused));
    await admin.jsm.streams.add(streamToWire({ name: "F", subjects: ["f.>"], firstSeq: 100 }) as any).catch((e) => console.log("add", e.message));
    const f = await admin.jsm.streams.info("F");
    console.log("first", f.config.first_seq, f.state.first_seq, f.state.last_seq);
    const g = await admin.jsm.streams.update("F", streamToWire({ name: "F", subjects: ["f.>"], firstSeq: 500 }) as any);
    console.log("first after update", g.config.first_seq, g.state.first_seq, g.state.last_seq);
    await admin.close();
    await s.stop();
  }
});
