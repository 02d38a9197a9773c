import { describe, expect, it } from "vitest";
import { natsUrlProblem } from "./nats";

describe("natsUrlProblem", () => {
  it("accepts empty (the local engine) and nats:// or tls:// URLs", () => {
    for (const ok of ["", "  ", "nats://127.0.0.1:4222", "tls://nats.example.org", "nats://user:pw@host:4222", "nats://[::1]:4222"]) {
      expect(natsUrlProblem(ok), ok).toBeNull();
    }
  });

  it("says what is wrong", () => {
    expect(natsUrlProblem("127.0.0.1:4222")).toMatch(/nats:\/\//);
    expect(natsUrlProblem("http://host:4222")).toMatch(/nats:\/\//);
    expect(natsUrlProblem("nats://")).toMatch(/host/);
    expect(natsUrlProblem("nats://host:port")).toMatch(/port/);
    expect(natsUrlProblem("nats://host:99999")).toMatch(/port/);
    expect(natsUrlProblem("nats://host:")).toMatch(/port/);
  });
});
