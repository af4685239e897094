/** The labels every object of the stack carries: its app, and that it is part of the event bus. */
export const labels = (app: string, extra: Record<string, string> = {}) => ({ "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "event-bus", ...extra });
