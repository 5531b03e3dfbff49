import { DomainError } from '../../../domain/errors.js';

export interface OpencodeTarget {
  /** `provider/model` as opencode names it. */
  model: string;
  /** The variable the access token goes to. */
  keyVariable: string;
  /** opencode.json, passed through OPENCODE_CONFIG_CONTENT. */
  config: object;
}

// The variables opencode's built-in providers read their keys from.
const keyVariables: Record<string, string> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
  google: 'GOOGLE_GENERATIVE_AI_API_KEY',
  openrouter: 'OPENROUTER_API_KEY',
  groq: 'GROQ_API_KEY',
  xai: 'XAI_API_KEY',
  mistral: 'MISTRAL_API_KEY',
  deepseek: 'DEEPSEEK_API_KEY',
};

const ownProvider = 'worker';
const ownKeyVariable = 'OPENCODE_API_KEY';
// Headless runs cannot answer a permission prompt: the job's own workspace is the boundary.
const permission = { edit: 'allow', bash: 'allow', webfetch: 'allow' };

/**
 * Where opencode sends the job: an OpenAI-compatible endpoint of the operator's (baseUrl), or a
 * built-in provider named by the model's `provider/` prefix, with the key in that provider's variable.
 */
export function opencodeTarget(model: string | undefined, baseUrl: string | undefined): OpencodeTarget {
  const base = { autoupdate: false, share: 'disabled', permission };
  if (baseUrl) {
    const name = model?.replace(new RegExp(`^${ownProvider}/`), '') || 'default';
    return {
      model: `${ownProvider}/${name}`,
      keyVariable: ownKeyVariable,
      config: {
        ...base,
        provider: {
          [ownProvider]: {
            npm: '@ai-sdk/openai-compatible',
            name: ownProvider,
            options: { baseURL: baseUrl, apiKey: `{env:${ownKeyVariable}}` },
            models: { [name]: { name, tool_call: true, limit: { context: 128_000, output: 8192 } } },
          },
        },
      },
    };
  }
  const provider = model?.split('/')[0];
  if (!model || !provider || !model.includes('/')) {
    throw new DomainError('VALIDATION_FAILED', 'opencode needs providerOptions.model as provider/model, e.g. anthropic/claude-sonnet-4-5', {
      issues: [{ path: 'providerOptions.model', message: 'opencode needs provider/model' }],
    });
  }
  const keyVariable = keyVariables[provider];
  if (!keyVariable) {
    throw new DomainError('VALIDATION_FAILED', `opencode: unknown model provider ${provider}; one of ${Object.keys(keyVariables).join(', ')}`, {
      issues: [{ path: 'providerOptions.model', message: `unknown model provider ${provider}` }],
    });
  }
  return { model, keyVariable, config: base };
}
