// The LLM provider form: fields as typed, validation mirroring the backend's, and the input DTO.
import type { LlmProvider, LlmProviderInput } from "../../ipc/library";
import type { ProviderKind } from "../../gen/ProviderKind";

export type StorageChoice = "keyring" | "settings";
export type { ProviderKind };

/** The wire formats a provider may speak, as the form offers them. */
export const KINDS: { value: ProviderKind; label: string; urlHelp: string; urlPlaceholder: string }[] = [
  {
    value: "openai",
    label: "OpenAI-compatible",
    urlHelp: "The API root, usually ending in /v1 (OpenAI, llama.cpp, vLLM, LM Studio, shimmy).",
    urlPlaceholder: "http://127.0.0.1:8080/v1",
  },
  {
    value: "ollama",
    label: "Ollama",
    urlHelp: "The Ollama host; its native /api/chat is used.",
    urlPlaceholder: "http://127.0.0.1:11434",
  },
  {
    value: "anthropic",
    label: "Anthropic",
    urlHelp: "The Messages API root (requests go to /v1/messages).",
    urlPlaceholder: "https://api.anthropic.com",
  },
];

export function kindLabel(kind: ProviderKind): string {
  return KINDS.find((k) => k.value === kind)?.label ?? kind;
}

export interface ProviderForm {
  id: string;
  kind: ProviderKind;
  baseUrl: string;
  model: string;
  apiKey: string;
  storage: StorageChoice;
  /** Editing a provider that has a key: remove it instead of keeping it. */
  removeKey: boolean;
}

export type ProviderErrors = Partial<Record<"id" | "baseUrl" | "model" | "apiKey", string>>;

export const PRESETS: { label: string; id: string; kind: ProviderKind; baseUrl: string; model: string }[] = [
  { label: "Ollama", id: "ollama", kind: "ollama", baseUrl: "http://127.0.0.1:11434", model: "llama3.2" },
  { label: "shimmy", id: "shimmy", kind: "openai", baseUrl: "http://127.0.0.1:11435/v1", model: "phi3-mini" },
  { label: "llama.cpp", id: "llama-cpp", kind: "openai", baseUrl: "http://127.0.0.1:8080/v1", model: "default" },
  { label: "OpenAI", id: "openai", kind: "openai", baseUrl: "https://api.openai.com/v1", model: "gpt-4o-mini" },
  { label: "Anthropic", id: "anthropic", kind: "anthropic", baseUrl: "https://api.anthropic.com", model: "claude-3-5-haiku-latest" },
];

export function emptyProviderForm(): ProviderForm {
  return { id: "", kind: "openai", baseUrl: "", model: "", apiKey: "", storage: "keyring", removeKey: false };
}

export function formFromProvider(p: LlmProvider): ProviderForm {
  return {
    id: p.id,
    kind: p.kind,
    baseUrl: p.baseUrl,
    model: p.model,
    apiKey: "",
    storage: p.keyStorage === "settings" ? "settings" : "keyring",
    removeKey: false,
  };
}

export function validateProvider(form: ProviderForm, existing: LlmProvider[], editing: boolean): ProviderErrors {
  const errors: ProviderErrors = {};
  const id = form.id.trim();
  if (id === "") errors.id = "Give the provider a name, e.g. ollama.";
  else if (id === "default" || id === "simulated") errors.id = `“${id}” is a built-in name; choose another.`;
  else if (!/^[A-Za-z0-9._-]+$/.test(id)) errors.id = "A name is letters, digits, “-”, “_” or “.”, without spaces.";
  else if (!editing && existing.some((p) => p.id === id)) errors.id = `A provider named “${id}” exists; edit it instead.`;
  const url = form.baseUrl.trim();
  const example = KINDS.find((k) => k.value === form.kind)?.urlPlaceholder ?? "http://127.0.0.1:8080/v1";
  if (url === "") errors.baseUrl = "Enter the base URL of the API.";
  else if (!/^https?:\/\/[^\s/]+/.test(url)) errors.baseUrl = `The base URL starts with http:// or https://, e.g. ${example}.`;
  if (form.model.trim() === "") errors.model = "Name the model, e.g. llama3.1:8b.";
  if (/\s/.test(form.apiKey.trim())) errors.apiKey = "An API key has no spaces.";
  return errors;
}

/** The input to save: a key only when one was typed (absent keeps the current one, empty removes it). */
export function inputFromForm(form: ProviderForm): LlmProviderInput {
  const input: LlmProviderInput = {
    id: form.id.trim(),
    kind: form.kind,
    baseUrl: form.baseUrl.trim(),
    model: form.model.trim(),
    keyStorage: form.storage,
  };
  const key = form.apiKey.trim();
  if (form.removeKey) input.apiKey = "";
  else if (key !== "") input.apiKey = key;
  return input;
}
