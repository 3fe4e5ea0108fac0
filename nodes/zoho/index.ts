export * from "./errors";
export * from "./names";
export * from "./datacenters";
export * from "./accounts";
export * from "./client";
export { Semaphore, sleep } from "./concurrency";
export * from "./records";
export * from "./metadata";
export * from "./writes";
