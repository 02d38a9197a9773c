import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import type { LlmProvider, ProviderCheck } from "../../ipc/library";
import { clearMocks, mockCommands } from "../../ipc/testing";
import { ProvidersCard } from "./ProvidersCard";
import { failureHeadline, TestResult } from "./ProviderTest";

afterEach(() => clearMocks());

const LOCAL: LlmProvider = {
  id: "local",
  kind: "openai",
  baseUrl: "http://127.0.0.1:8080/v1",
  model: "e2e-model",
  keyStorage: "settings",
  hasKey: true,
  keyringUser: null,
};

function check(over: Partial<ProviderCheck>): ProviderCheck {
  return {
    provider: "local",
    ok: true,
    latencyMs: 12,
    url: "http://127.0.0.1:8080/v1/models",
    method: "listModels",
    model: "e2e-model",
    models: ["e2e-model"],
    modelsTotal: 1,
    note: null,
    status: null,
    error: null,
    timeoutMs: 10_000,
    ...over,
  };
}

const REFUSED = check({
  ok: false,
  method: null,
  model: null,
  models: [],
  modelsTotal: 0,
  error: "no answer from the model endpoint `http://127.0.0.1:8080/v1/models`: cannot connect (Connection refused (os error 111))",
});

describe("Test connection", () => {
  it("sends the check for the row's provider and shows ok, latency and model", async () => {
    const user = userEvent.setup();
    const asked: unknown[] = [];
    let answer: (c: ProviderCheck) => void = () => {};
    mockCommands({
      list_llm_providers: () => [LOCAL],
      get_settings: () => ({ theme: "light", simulateLlm: false }),
      test_llm_provider: (a) => {
        asked.push(a.id);
        return new Promise<ProviderCheck>((resolve) => (answer = resolve));
      },
    });
    render(<ProvidersCard enabled />);
    const button = await screen.findByTestId("provider-test-local");
    await user.click(button);
    expect(button).toBeDisabled();
    expect(button).toHaveTextContent("Testing…");
    expect(screen.getByTestId("provider-test-result-local")).toHaveAttribute("data-state", "running");
    answer(check({}));
    const result = await screen.findByText("Connected");
    const box = result.closest("[data-testid='provider-test-result-local']") as HTMLElement;
    expect(box).toHaveAttribute("data-state", "ok");
    expect(within(box).getByTestId("provider-test-latency-local")).toHaveTextContent("12 ms");
    expect(within(box).getByTestId("provider-test-model-local")).toHaveTextContent("e2e-model");
    expect(box).toHaveTextContent("the endpoint lists it");
    expect(asked).toEqual(["local"]);
    await waitFor(() => expect(button).toBeEnabled());
  });

  it("shows the exact error of a failed check", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_llm_providers: () => [LOCAL],
      get_settings: () => ({ theme: "light", simulateLlm: false }),
      test_llm_provider: () => REFUSED,
    });
    render(<ProvidersCard enabled />);
    await user.click(await screen.findByTestId("provider-test-local"));
    const box = await screen.findByTestId("provider-test-result-local");
    await waitFor(() => expect(box).toHaveAttribute("data-state", "error"));
    expect(screen.getByTestId("provider-test-headline-local")).toHaveTextContent("Connection refused at http://127.0.0.1:8080/v1/models");
    expect(screen.getByTestId("provider-test-error-local")).toHaveTextContent("Connection refused (os error 111)");
  });

  it("shows why the check could not run", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_llm_providers: () => [LOCAL],
      get_settings: () => ({ theme: "light", simulateLlm: false }),
      test_llm_provider: () => {
        throw { code: "not_found", message: "no provider `local`" };
      },
    });
    render(<ProvidersCard enabled />);
    await user.click(await screen.findByTestId("provider-test-local"));
    expect(await screen.findByText(/no provider `local`/)).toBeInTheDocument();
  });
});

describe("a check's result", () => {
  it("names the HTTP status with the provider's message and the models it lists", () => {
    render(
      <TestResult
        id="local"
        state={{
          state: "done",
          check: check({
            ok: false,
            status: 404,
            url: "http://127.0.0.1:8080/v1/chat/completions",
            error: "`gpt-9` is not among the 1 models … model 'gpt-9' not found",
            models: ["e2e-model"],
          }),
        }}
      />,
    );
    expect(screen.getByTestId("provider-test-headline-local")).toHaveTextContent("HTTP 404 from http://127.0.0.1:8080/v1/chat/completions");
    expect(screen.getByTestId("provider-test-error-local")).toHaveTextContent("model 'gpt-9' not found");
    expect(screen.getByTestId("provider-test-result-local")).toHaveTextContent("It lists 1 model: e2e-model");
  });

  it("says a 1-token chat decided when the list did not name the model", () => {
    render(<TestResult id="local" state={{ state: "done", check: check({ method: "chat", note: "`default` is not among the 1 models the endpoint lists; a 1-token chat answered" }) }} />);
    const box = screen.getByTestId("provider-test-result-local");
    expect(box).toHaveTextContent("a 1-token chat answered");
  });

  it("words each kind of failure", () => {
    expect(failureHeadline(REFUSED)).toBe("Connection refused at http://127.0.0.1:8080/v1/models");
    expect(failureHeadline(check({ ok: false, error: "no answer …: no complete answer within 10s" }))).toBe(
      "No answer within 10 s from http://127.0.0.1:8080/v1/models",
    );
    expect(failureHeadline(check({ ok: false, status: 401, error: "HTTP 401" }))).toBe("HTTP 401 from http://127.0.0.1:8080/v1/models");
  });
});
