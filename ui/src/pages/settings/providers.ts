// The LLM provider form: fields as typed, validation mirroring the backend's, and the input DTO.
import type { LlmProvider, LlmProviderInput } from "../../ipc/library";

export type StorageChoice = "keyring" | "settings";

export interface ProviderForm {
  id: string;
  baseUrl: string;
  model: string;
  apiKey: string;
  storage: StorageChoice;
  /** Editing a provider that has a key: remove it instead of keeping it. */
  removeKey: boolean;
}

export type ProviderErrors = Partial<Record<"id" | "baseUrl" | "model" | "apiKey", string>>;

export const PRESETS: { label: string; id: string; baseUrl: string; model: string }[] = [
  { label: "Ollama", id: "ollama", baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.1:8b" },
  { label: "llama.cpp", id: "llama-cpp", baseUrl: "http://127.0.0.1:8080/v1", model: "default" },
  { label: "OpenAI", id: "openai", baseUrl: "https://api.openai.com/v1", model: "gpt-4o-mini" },
];

export function emptyProviderForm(): ProviderForm {
  return { id: "", baseUrl: "", model: "", apiKey: "", storage: "keyring", removeKey: false };
}

export function formFromProvider(p: LlmProvider): ProviderForm {
  return {
    id: p.id,
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
  else if (!/^[A-Za-z0-9._-]+$/.test(id)) errors.id = "A name is letters, digits, “-”, “_” or “.”, without spaces.";
  else if (!editing && existing.some((p) => p.id === id)) errors.id = `A provider named “${id}” exists; edit it instead.`;
  const url = form.baseUrl.trim();
  if (url === "") errors.baseUrl = "Enter the base URL of the OpenAI-compatible API.";
  else if (!/^https?:\/\/[^\s/]+/.test(url)) errors.baseUrl = "The base URL starts with http:// or https://, e.g. http://127.0.0.1:11434/v1.";
  if (form.model.trim() === "") errors.model = "Name the model, e.g. llama3.1:8b.";
  if (/\s/.test(form.apiKey.trim())) errors.apiKey = "An API key has no spaces.";
  return errors;
}

/** The input to save: a key only when one was typed (absent keeps the current one, empty removes it). */
export function inputFromForm(form: ProviderForm): LlmProviderInput {
  const input: LlmProviderInput = {
    id: form.id.trim(),
    baseUrl: form.baseUrl.trim(),
    model: form.model.trim(),
    keyStorage: form.storage,
  };
  const key = form.apiKey.trim();
  if (form.removeKey) input.apiKey = "";
  else if (key !== "") input.apiKey = key;
  return input;
}
