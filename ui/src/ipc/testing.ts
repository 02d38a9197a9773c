// Test helpers that stand in for the Rust side at the IPC boundary (unit tests only).
import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";

export type CommandHandler = (args: Record<string, unknown>) => unknown;

/** Answers each named command with its handler; an unknown command rejects like Rust would. */
export function mockCommands(handlers: Record<string, CommandHandler>): string[] {
  const calls: string[] = [];
  mockWindows("main");
  mockIPC((cmd, args) => {
    calls.push(cmd);
    const handler = handlers[cmd];
    if (!handler) {
      throw { code: "not_found", message: `no mock for command ${cmd}` };
    }
    return handler((args ?? {}) as Record<string, unknown>);
  });
  return calls;
}

export { clearMocks };
