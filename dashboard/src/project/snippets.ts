// Ready-to-paste code for calling the proxy with a project's key.

export interface Snippet {
  id: string;
  label: string;
  language: string;
  code: (apiBase: string, projectKey: string) => string;
}

export const SNIPPETS: Snippet[] = [
  {
    id: 'curl',
    label: 'curl',
    language: 'shell',
    code: (api, key) => `curl ${api}/v1/proxy/chat \\
  -H "x-project-key: ${key}" \\
  -H "content-type: application/json" \\
  -d '{
    "identity": "user-123",
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Say hi"}]
  }'`,
  },
  {
    id: 'sdk',
    label: 'JS SDK',
    language: 'typescript',
    code: (api, key) => `// npm install @ai-ratelimit/sdk
import { createClient } from '@ai-ratelimit/sdk';

const client = createClient({
  baseUrl: '${api}',
  projectKey: '${key}',
});

const reply = await client.chat({
  identity: 'user-123', // your end user's id
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hi' }],
});`,
  },
  {
    id: 'openai-node',
    label: 'OpenAI SDK (Node)',
    language: 'typescript',
    code: (api, key) => `// npm install openai
import OpenAI from 'openai';

const openai = new OpenAI({
  baseURL: '${api}/v1/openai',
  apiKey: '${key}', // the project key, not your OpenAI key
});

const completion = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  user: 'user-123', // the identity limits apply to
  messages: [{ role: 'user', content: 'Say hi' }],
});`,
  },
  {
    id: 'openai-python',
    label: 'OpenAI SDK (Python)',
    language: 'python',
    code: (api, key) => `# pip install openai
from openai import OpenAI

client = OpenAI(
    base_url="${api}/v1/openai",
    api_key="${key}",  # the project key, not your OpenAI key
)

completion = client.chat.completions.create(
    model="gpt-4o-mini",
    user="user-123",  # the identity limits apply to
    messages=[{"role": "user", "content": "Say hi"}],
)`,
  },
];
