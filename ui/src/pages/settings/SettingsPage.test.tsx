import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import type { Settings } from "../../ipc";
import type { LlmProvider, LlmProviderInput, PerimeterDto } from "../../ipc/library";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { ThemeProvider } from "../../theme/ThemeProvider";
import { SettingsPage } from "../SettingsPage";
import { validateCaps, formFromDto } from "./caps";

afterEach(() => clearMocks());

const EMPTY_CAPS: PerimeterDto = {
  budget: { maxCostUsd: 5, maxTokens: null, maxLlmCalls: null, maxSteps: 40, maxRuntimeMinutes: null },
  approvalMode: null,
  thresholdUsd: null,
  requiredFor: [],
  sandbox: null,
  allowedTools: [],
  forbiddenTools: [],
  connectedSectors: [],
};

function setup(providers: LlmProvider[] = []) {
  const savedCaps: PerimeterDto[] = [];
  const savedProviders: LlmProviderInput[] = [];
  const settingsCalls: Record<string, unknown>[] = [];
  let settings: Settings = { theme: "light", simulateLlm: false };
  let list = [...providers];
  mockCommands({
    get_settings: () => settings,
    set_default_provider: (a) => {
      settingsCalls.push({ defaultProvider: a.name });
      const next: Settings = { theme: settings.theme, simulateLlm: settings.simulateLlm };
      if (a.name) next.defaultProvider = a.name as string;
      settings = next;
      return settings;
    },
    set_simulate_llm: (a) => {
      settingsCalls.push({ simulateLlm: a.on });
      settings = { ...settings, simulateLlm: a.on as boolean };
      return settings;
    },
    diagnostics: () => ({ dataDir: "/data/studio", dataDirFromEnv: false }),
    get_caps: () => EMPTY_CAPS,
    set_caps: (a) => {
      const caps = a.caps as PerimeterDto;
      savedCaps.push(caps);
      return caps;
    },
    list_llm_providers: () => list,
    save_llm_provider: (a) => {
      const p = a.provider as LlmProviderInput;
      savedProviders.push(p);
      const row: LlmProvider = {
        id: p.id,
        kind: p.kind ?? "openai",
        baseUrl: p.baseUrl,
        model: p.model,
        keyStorage: p.apiKey ? p.keyStorage : "none",
        hasKey: Boolean(p.apiKey),
        keyringUser: null,
      };
      list = [...list.filter((x) => x.id !== p.id), row];
      return list;
    },
    delete_llm_provider: (a) => {
      list = list.filter((x) => x.id !== a.id);
      return list;
    },
    set_nats_url: (a) => {
      settingsCalls.push({ natsUrl: a.url });
      const next: Settings = { ...settings };
      delete next.natsUrl;
      if (a.url) next.natsUrl = a.url as string;
      settings = next;
      return settings;
    },
    check_nats: (a) =>
      a.url === "nats://127.0.0.1:4222"
        ? { url: a.url, ok: true, serverVersion: "2.9.10", serverName: "NDX", jetstream: true, latencyMs: 3, message: "connected" }
        : {
            url: a.url,
            ok: false,
            serverVersion: null,
            serverName: null,
            jetstream: false,
            latencyMs: 1,
            message: `cannot reach NATS at ${String(a.url)}: connection refused; start nats-server -js or fix the URL`,
          },
  });
  render(
    <ThemeProvider>
      <MemoryRouter>
        <SettingsPage />
      </MemoryRouter>
    </ThemeProvider>,
  );
  return { savedCaps, savedProviders, settingsCalls };
}

describe("hard caps validation", () => {
  it("explains each bad value", () => {
    const form = formFromDto(EMPTY_CAPS);
    form.budget.maxCostUsd = "-2";
    form.budget.maxTokens = "1.5";
    form.budget.maxSteps = "0";
    form.budget.maxRuntimeMinutes = "abc";
    form.approvalMode = "threshold";
    form.allowedTools = "http, shell";
    form.forbiddenTools = "shell";
    const e = validateCaps(form);
    expect(e.maxCostUsd).toMatch(/cannot be negative/);
    expect(e.maxTokens).toMatch(/whole number/);
    expect(e.maxSteps).toMatch(/would stop every run/);
    expect(e.maxRuntimeMinutes).toMatch(/enter a number/);
    expect(e.thresholdUsd).toMatch(/needs an amount/);
    expect(e.tools).toMatch(/“shell” cannot be both allowed and forbidden/);
    expect(validateCaps(formFromDto(EMPTY_CAPS))).toEqual({});
  });
});

describe("SettingsPage", () => {
  it("shows the caps, refuses a bad value with a message and saves a good one", async () => {
    const user = userEvent.setup();
    const { savedCaps } = setup();
    const cost = await screen.findByTestId("caps-maxCostUsd");
    expect(cost).toHaveValue("5");
    expect(screen.getByTestId("caps-maxTokens")).toHaveValue("");
    expect(screen.getByTestId("caps-save")).toBeDisabled();

    await user.clear(cost);
    await user.type(cost, "-1");
    expect(screen.getByTestId("caps-error-maxCostUsd")).toHaveTextContent("Cost cannot be negative.");
    expect(cost).toHaveAttribute("aria-invalid", "true");
    await user.click(screen.getByTestId("caps-save"));
    expect(savedCaps).toHaveLength(0);
    expect(screen.getByTestId("caps-status")).toHaveTextContent("Fix the highlighted fields");

    await user.clear(cost);
    await user.type(cost, "2.5");
    expect(screen.getByTestId("caps-status")).toHaveTextContent("Unsaved changes");
    await user.type(screen.getByTestId("caps-maxTokens"), "100000");
    await user.click(screen.getByTestId("caps-mode-threshold"));
    await user.click(screen.getByTestId("caps-save"));
    expect(screen.getByTestId("caps-error-thresholdUsd")).toHaveTextContent("Threshold mode needs an amount");
    await user.type(screen.getByTestId("caps-thresholdUsd"), "0.5");
    await user.click(screen.getByTestId("caps-save"));

    await waitFor(() => expect(savedCaps).toHaveLength(1));
    expect(savedCaps[0]?.budget).toEqual({ maxCostUsd: 2.5, maxTokens: 100000, maxLlmCalls: null, maxSteps: 40, maxRuntimeMinutes: null });
    expect(savedCaps[0]?.approvalMode).toBe("threshold");
    expect(savedCaps[0]?.thresholdUsd).toBe(0.5);
    await waitFor(() => expect(screen.getByTestId("caps-status")).toHaveTextContent(/Saved to perimeter.yaml/));
    expect(screen.getByTestId("caps-save")).toBeDisabled();
  });

  it("adds a provider with its key in the settings file, warning first, and never shows the key", async () => {
    const user = userEvent.setup();
    const { savedProviders } = setup();
    await screen.findByTestId("providers-empty");
    await user.click(screen.getByTestId("provider-add"));

    // The keyring is the default; the warning shows only for the file.
    expect(screen.getByTestId("key-storage-keyring")).toBeChecked();
    expect(screen.queryByTestId("provider-file-warning")).toBeNull();

    await user.click(screen.getByTestId("provider-save"));
    expect(screen.getByText("Give the provider a name, e.g. ollama.")).toBeInTheDocument();
    expect(screen.getByText(/Enter the base URL/)).toBeInTheDocument();
    expect(savedProviders).toHaveLength(0);

    await user.type(screen.getByTestId("provider-id"), "my llm");
    await user.type(screen.getByTestId("provider-base-url"), "ftp://x");
    expect(screen.getByText(/without spaces/)).toBeInTheDocument();
    expect(screen.getByText(/starts with http:\/\/ or https:\/\//)).toBeInTheDocument();

    await user.clear(screen.getByTestId("provider-id"));
    await user.type(screen.getByTestId("provider-id"), "openai");
    await user.clear(screen.getByTestId("provider-base-url"));
    await user.type(screen.getByTestId("provider-base-url"), "https://api.openai.com/v1");
    await user.type(screen.getByTestId("provider-model"), "gpt-4o-mini");
    await user.type(screen.getByTestId("provider-key"), "sk-secret");
    await user.click(screen.getByTestId("key-storage-settings"));
    expect(screen.getByTestId("provider-file-warning")).toHaveTextContent("The key will be stored in plain text.");

    await user.click(screen.getByTestId("provider-save"));
    await waitFor(() => expect(savedProviders).toHaveLength(1));
    expect(savedProviders[0]).toEqual({
      id: "openai",
      kind: "openai",
      baseUrl: "https://api.openai.com/v1",
      model: "gpt-4o-mini",
      apiKey: "sk-secret",
      keyStorage: "settings",
    });
    const row = await screen.findByTestId("provider-row-openai");
    expect(within(row).getByTestId("provider-key-file-openai")).toHaveTextContent("Key in settings file");
    expect(screen.queryByDisplayValue("sk-secret")).toBeNull();
    expect(screen.getByTestId("provider-notice")).toHaveTextContent("Saved “openai”.");
  });

  it("edits a provider keeping its key unless a new one is typed, and deletes after confirming", async () => {
    const user = userEvent.setup();
    const { savedProviders } = setup([
      { id: "ollama", kind: "openai", baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.1:8b", keyStorage: "keyring", hasKey: true, keyringUser: "provider:ollama" },
    ]);
    await user.click(await screen.findByTestId("provider-edit-ollama"));
    expect(screen.getByTestId("provider-id")).toBeDisabled();
    expect(screen.getByText(/Leave empty to keep it/)).toBeInTheDocument();
    await user.clear(screen.getByTestId("provider-model"));
    await user.type(screen.getByTestId("provider-model"), "qwen2.5");
    await user.click(screen.getByTestId("provider-save"));
    await waitFor(() => expect(savedProviders).toHaveLength(1));
    expect(savedProviders[0]).toEqual({ id: "ollama", kind: "openai", baseUrl: "http://127.0.0.1:11434/v1", model: "qwen2.5", keyStorage: "keyring" });

    await user.click(await screen.findByTestId("provider-delete-ollama"));
    await user.click(screen.getByTestId("provider-confirm-delete-ollama"));
    await screen.findByTestId("providers-empty");
  });

  it("shows the data folder read-only with a copy button", async () => {
    setup();
    expect(await screen.findByText("/data/studio")).toHaveAttribute("data-testid", "settings-data-dir");
    expect(screen.getByRole("button", { name: "Copy data folder path" })).toBeInTheDocument();
    expect(screen.getByTestId("theme-system")).toBeInTheDocument();
  });

  it("saves the wire format of a preset, makes a provider the default and turns simulation on", async () => {
    const user = userEvent.setup();
    const { savedProviders, settingsCalls } = setup();
    await screen.findByTestId("providers-empty");
    await user.click(screen.getByTestId("provider-add"));
    await user.click(screen.getByRole("button", { name: "Anthropic" }));
    expect(screen.getByTestId("provider-kind-choice-anthropic")).toHaveAttribute("aria-checked", "true");
    expect(screen.getByText(/Messages API root/)).toBeInTheDocument();
    await user.click(screen.getByTestId("provider-save"));
    await waitFor(() => expect(savedProviders).toHaveLength(1));
    expect(savedProviders[0]).toMatchObject({ id: "anthropic", kind: "anthropic", baseUrl: "https://api.anthropic.com" });
    expect(await screen.findByTestId("provider-kind-anthropic")).toHaveTextContent("Anthropic");

    const select = screen.getByTestId("default-provider");
    await user.selectOptions(select, "anthropic");
    await waitFor(() => expect(settingsCalls).toContainEqual({ defaultProvider: "anthropic" }));
    expect(await screen.findByText("Default")).toBeInTheDocument();

    await user.click(screen.getByTestId("simulate-llm"));
    await waitFor(() => expect(settingsCalls).toContainEqual({ simulateLlm: true }));
    expect(screen.getByTestId("simulate-llm")).toBeChecked();
  });
});

describe("the squad's NATS URL", () => {
  it("refuses a URL without its scheme, saves one, and checks the connection", async () => {
    const user = userEvent.setup();
    const { settingsCalls } = setup();
    const input = await screen.findByTestId("nats-url");
    await waitFor(() => expect(input).toBeEnabled());
    await user.type(input, "127.0.0.1:4222");
    expect(screen.getByText(/Start with nats:\/\/ or tls:\/\//)).toBeInTheDocument();
    expect(screen.getByTestId("nats-save")).toBeDisabled();
    expect(screen.getByTestId("nats-check")).toBeDisabled();

    await user.clear(input);
    await user.type(input, "nats://127.0.0.1:4222");
    await user.click(screen.getByTestId("nats-save"));
    await waitFor(() => expect(settingsCalls).toContainEqual({ natsUrl: "nats://127.0.0.1:4222" }));
    expect(await screen.findByTestId("nats-saved")).toHaveTextContent("Saved");

    await user.click(screen.getByTestId("nats-check"));
    const ok = await screen.findByTestId("nats-check-result");
    await waitFor(() => expect(ok).toHaveAttribute("data-state", "ok"));
    expect(screen.getByTestId("nats-check-version")).toHaveTextContent("2.9.10");

    await user.clear(input);
    await user.type(input, "nats://127.0.0.1:1");
    await user.click(screen.getByTestId("nats-check"));
    expect(await screen.findByTestId("nats-check-message")).toHaveTextContent("connection refused");
  });
});
