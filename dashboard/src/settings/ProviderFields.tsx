// Which upstream a project calls, and with which key.
import type { Provider } from '../api/types';
import { ChoiceCards } from '../components/Choice';
import { TextField } from '../components/Field';

export interface ProviderDraft {
  provider: Provider;
  /** `''` = keep the stored key (or none on creation). */
  providerApiKey: string;
  baseUrl: string;
}

export const PROVIDERS: { value: Provider; label: string; hint: string }[] = [
  { value: 'openai', label: 'OpenAI', hint: 'Chat Completions API' },
  { value: 'anthropic', label: 'Anthropic', hint: 'Messages API, translated' },
  { value: 'azure', label: 'Azure OpenAI', hint: 'Your resource endpoint' },
  { value: 'gemini', label: 'Google Gemini', hint: 'generateContent, translated' },
  { value: 'cohere', label: 'Cohere', hint: 'Chat v2, translated' },
];

// Providers the dashboard offers; the server's other providers (azure, gemini, cohere) have
// no placeholder here.
const DEFAULT_URLS: Partial<Record<Provider, string>> = {
  openai: 'https://api.openai.com/v1/chat/completions',
  anthropic: 'https://api.anthropic.com/v1/messages',
  // Azure has no public default: each resource has its own endpoint.
  azure: 'https://my-resource.openai.azure.com',
  gemini: 'https://generativelanguage.googleapis.com/v1beta',
  cohere: 'https://api.cohere.com',
};

const KEY_PLACEHOLDERS: Record<Provider, string> = {
  openai: 'sk-…',
  anthropic: 'sk-ant-…',
  azure: 'Azure api-key',
  gemini: 'AIza…',
  cohere: 'Cohere API key',
};

interface ProviderFieldsProps {
  value: ProviderDraft;
  onChange: (value: ProviderDraft) => void;
  errors: Record<string, string | undefined>;
  /** The stored key's hint (`sk-…AbCd`), when editing a project that has one. */
  storedKeyPreview?: string | null | undefined;
}

export function ProviderFields({ value, onChange, errors, storedKeyPreview }: ProviderFieldsProps) {
  const set = (change: Partial<ProviderDraft>) => onChange({ ...value, ...change });
  return (
    <div className="stack">
      <ChoiceCards<Provider> label="Provider" value={value.provider} options={PROVIDERS} onChange={(provider) => set({ provider })} />
      {errors.provider && <p className="field-error">{errors.provider}</p>}
      <TextField
        label={storedKeyPreview ? 'Replace provider API key' : 'Provider API key'}
        type="password"
        autoComplete="off"
        spellCheck={false}
        placeholder={storedKeyPreview ? `Stored: ${storedKeyPreview}` : KEY_PLACEHOLDERS[value.provider]}
        value={value.providerApiKey}
        onChange={(e) => set({ providerApiKey: e.target.value })}
        error={errors.providerApiKey ?? errors.openaiApiKey}
        optional={!!storedKeyPreview}
        hint={
          storedKeyPreview
            ? 'Leave empty to keep the stored key. It is encrypted at rest and never shown again.'
            : 'Encrypted at rest; never shown again, logged or returned by the API.'
        }
      />
      <TextField
        label="Base URL"
        type="url"
        inputMode="url"
        spellCheck={false}
        placeholder={DEFAULT_URLS[value.provider]}
        value={value.baseUrl}
        onChange={(e) => set({ baseUrl: e.target.value })}
        error={errors.baseUrl ? 'Enter a full http:// or https:// URL, or leave it empty for the default.' : undefined}
        optional={value.provider !== 'azure'}
        hint={
          value.provider === 'azure'
            ? 'Your Azure OpenAI resource endpoint (required unless the server sets AZURE_OPENAI_ENDPOINT). Deployments and the API version are project settings of the API (providerSettings.azure).'
            : "The full endpoint URL, for a proxy or a compatible provider. Empty = the server's default."
        }
      />
    </div>
  );
}
