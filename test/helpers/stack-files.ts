export { stackFileConfig as stackConfigFile } from "../../scripts/stack-file";

export const STACKS = ["local", "staging", "production"] as const;
