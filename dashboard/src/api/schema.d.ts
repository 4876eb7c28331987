// Generated from the server's GET /api/openapi.json by `npm run api:generate`. Do not edit.

export interface paths {
    "/api/admin/projects": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Creates a project that belongs to no organization. */
        post: operations["admin_create_project"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/projects/{projectKey}/usage/{identity}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An identity's usage in the project's current period (zeros for an unknown identity). */
        get: operations["identity_usage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Legacy password login (deprecated: prefer magic links). */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/magic-link/request": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Request a magic link. Answers the same whether or not the e-mail is registered. */
        post: operations["request_magic_link"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/magic-link/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Exchange a magic-link token for a session. */
        post: operations["verify_magic_link"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in user. */
        get: operations["me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/signup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign up: creates an organization and its first user, and sends a magic link. */
        post: operations["signup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document. */
        get: operations["openapi_json"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's projects, newest first. */
        get: operations["list_projects"];
        put?: never;
        /** Creates a project in the caller's organization. */
        post: operations["create_project"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One of the caller's projects. */
        get: operations["get_project"];
        put?: never;
        post?: never;
        /** Deletes a project. */
        delete: operations["delete_project"];
        options?: never;
        head?: never;
        /** Changes any subset of a project's fields, atomically. */
        patch: operations["update_project"];
        trace?: never;
    };
    "/api/projects/{id}/rotate-key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replaces the project key; the old key stops working at once. */
        post: operations["rotate_project_key"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}/usage/by-identity": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Identities of a project in a period, most requests first, paginated. */
        get: operations["by_identity"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}/usage/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Per-day totals from the request log, for charts and weekly/monthly reports. */
        get: operations["history"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}/usage/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Totals of a project in its current period (or the period containing `date`). */
        get: operations["summary"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/openai/chat/completions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** OpenAI-compatible drop-in (identity from `x-identity` or `user`, tier from `x-tier`) */
        post: operations["openai_chat_completions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/openai/embeddings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** OpenAI-compatible embeddings; tokens from `usage` */
        post: operations["openai_embeddings"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/openai/images/generations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** OpenAI-compatible image generation; counted as a request, tokens only where the provider reports them */
        post: operations["openai_images"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/openai/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The project's provider's model list in OpenAI's shape; needs a valid key, counts toward no limit */
        get: operations["openai_models"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/openai/responses": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** OpenAI-compatible Responses API (identity from `x-identity` or `user`); tokens from the reported usage */
        post: operations["openai_responses"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Chat completion through the limiter: `{identity, tier?, model, messages, …}` */
        post: operations["proxy_chat"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/chat/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Streaming chat completion through the limiter */
        post: operations["proxy_chat_stream"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/embeddings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Embeddings through the limiter: `{identity, tier?, model, input, …}` */
        post: operations["proxy_embeddings"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/images/generations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Image generation through the limiter: `{identity, tier?, model, prompt, …}` */
        post: operations["proxy_images"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The project's provider's model list in OpenAI's shape; needs a valid key, counts toward no limit */
        get: operations["proxy_models"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/responses": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Responses API through the limiter: `{identity, tier?, model, input, …}` */
        post: operations["proxy_responses"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/proxy/responses/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Streamed Responses API through the limiter */
        post: operations["proxy_responses_stream"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The process is up. */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus text exposition. */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The database and the usage store answer. */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description An identity's usage in the current period, by project key. */
        AdminIdentityUsage: {
            /** @description The end user. */
            identity: string;
            /** @description First day of the period, `YYYY-MM-DD`. */
            periodStart: string;
            /**
             * Format: int64
             * @description Admitted requests.
             */
            requestsUsed: number;
            /**
             * Format: int64
             * @description Tokens counted.
             */
            tokensUsed: number;
        };
        /** @description Azure OpenAI: which deployment serves a model, and the API version. */
        AzureSettings: {
            /**
             * @description The `api-version` query parameter (`YYYY-MM-DD` or `YYYY-MM-DD-preview`; default
             *     `2024-10-21`).
             * @example 2024-10-21
             */
            apiVersion?: string | null;
            /**
             * @description The deployment of a model not listed in `deployments` (default: the model's name,
             *     for deployments named after their model).
             * @example gpt-4o-prod
             */
            deployment?: string | null;
            /** @description Deployment by requested `model`, e.g. `{"text-embedding-3-small": "embed-prod"}`. */
            deployments?: {
                [key: string]: string;
            };
        };
        /**
         * @description Cohere's embedding `input_type`.
         * @enum {string}
         */
        CohereInputType: "search_document" | "search_query" | "classification" | "clustering";
        /**
         * @description Cohere's `safety_mode`.
         * @enum {string}
         */
        CohereSafetyMode: "CONTEXTUAL" | "STRICT" | "OFF";
        /** @description Cohere: the safety mode of chats and the input type of embeddings. */
        CohereSettings: {
            embeddingInputType?: null | components["schemas"]["CohereInputType"];
            safetyMode?: null | components["schemas"]["CohereSafetyMode"];
        };
        /** @description The JSON body of every error response. */
        ErrorBody: {
            /** @description Snake-case error code, e.g. `invalid_request`. */
            error: string;
            /** @description Path of the offending value (validation errors only). */
            field?: string | null;
            /** @description A human sentence. */
            message: string;
        };
        /** @description One of Gemini's safety settings. */
        GeminiSafetySetting: {
            /**
             * @description A harm category, `HARM_CATEGORY_…`.
             * @example HARM_CATEGORY_HARASSMENT
             */
            category: string;
            /** @description The blocking threshold. */
            threshold: components["schemas"]["GeminiThreshold"];
        };
        /** @description Google Gemini: safety settings sent with every `generateContent` request. */
        GeminiSettings: {
            /** @description Gemini's `safetySettings`, e.g. `[{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]`. */
            safetySettings?: components["schemas"]["GeminiSafetySetting"][];
        };
        /**
         * @description Gemini's `HarmBlockThreshold`.
         * @enum {string}
         */
        GeminiThreshold: "BLOCK_LOW_AND_ABOVE" | "BLOCK_MEDIUM_AND_ABOVE" | "BLOCK_ONLY_HIGH" | "BLOCK_NONE" | "OFF";
        /** @description Liveness answer. */
        Health: {
            /** @description `ok`. */
            status: string;
        };
        /** @description One day of history. */
        HistoryDay: {
            /** @description `YYYY-MM-DD`. */
            date: string;
            /**
             * Format: int64
             * @description Requests answered with a 429.
             */
            limited: number;
            /**
             * Format: int64
             * @description Admitted requests (that were not failed upstream).
             */
            requests: number;
            /**
             * Format: int64
             * @description Tokens of those requests.
             */
            tokens: number;
            /**
             * Format: int64
             * @description Distinct identities with admitted requests.
             */
            uniqueIdentities: number;
        };
        /** @description A page of identities, most requests first. */
        IdentityUsagePage: {
            /** @description The identities. */
            items: components["schemas"]["IdentityUsageView"][];
            /** @description Pass as `cursor` for the next page; `null` on the last page. */
            nextCursor?: string | null;
        };
        /** @description One identity's usage. */
        IdentityUsageView: {
            /** @description The end user. */
            identity: string;
            /** @description First day of the period. */
            periodStart: string;
            /**
             * Format: int64
             * @description Admitted requests.
             */
            requestsUsed: number;
            /** @description Tier of its latest admitted request. */
            tier?: string | null;
            /**
             * Format: int64
             * @description Tokens counted.
             */
            tokensUsed: number;
        };
        /**
         * @description `limitType` values (documentation schema).
         * @enum {string}
         */
        LimitType: "requests" | "tokens" | "both";
        /** @description `POST /api/auth/login` body. */
        LoginRequest: {
            /** @description E-mail. */
            email: string;
            /** @description Password. */
            password: string;
        };
        /** @description `POST /api/auth/magic-link/request` body. */
        MagicLinkRequest: {
            /** @description Where to send the link. */
            email: string;
        };
        /** @description A message-only answer. */
        MessageResponse: {
            /** @description What happened. */
            message: string;
        };
        /**
         * @description The body of `POST /api/projects` and `PATCH /api/projects/:id` as sent. Creation requires
         *     `name`; a patch may send any subset. Unknown fields are rejected.
         */
        ProjectPatch: {
            /**
             * @description Upstream URL (absolute http(s)); `null` or `""` = the server's default for the provider
             *     (`openai`: the chat-completions URL, the other operations beside it; `anthropic`: the
             *     Messages URL; `azure`: the resource endpoint, required unless the server has one;
             *     `gemini`, `cohere`: the API root).
             * @example https://api.openai.com/v1/chat/completions
             */
            baseUrl?: string | null;
            /**
             * Format: int64
             * @description Requests per period; `null` = no limit.
             * @example 50
             */
            dailyRequestLimit?: number | null;
            /**
             * Format: int64
             * @description Tokens per period; `null` = no limit.
             */
            dailyTokenLimit?: number | null;
            /**
             * Format: int64
             * @description Output tokens reserved for a request that names no `max_tokens`.
             */
            defaultOutputTokens?: number | null;
            /** @description JSON answered (templated) with a 429 when a base limit is reached; `null` = the default body. */
            limitExceededResponse?: Record<string, unknown> | null;
            limitType?: null | components["schemas"]["LimitType"];
            /**
             * @description Display name, 1–200 characters (required on creation).
             * @example My app
             */
            name?: string;
            /** @description The original product's name of `providerApiKey` (send only one of them). */
            openaiApiKey?: string | null;
            /** @description `openai` (default) | `anthropic` | `azure` | `gemini` | `cohere`. */
            provider?: components["schemas"]["Provider"];
            /**
             * @description The provider's API key (write-only); `null` or `""` removes it.
             * @example sk-proj-…
             */
            providerApiKey?: string | null;
            providerSettings?: null | components["schemas"]["ProviderSettings"];
            /** @description Rules, evaluated in order (`{"id", "name", "enabled", "condition", "action"}`). */
            rules?: Record<string, unknown>[] | null;
            /** @description Tiers by name: `{"requestLimit": n|null, "tokenLimit": n|null}`. */
            tiers?: {
                [key: string]: components["schemas"]["TierLimits"];
            } | null;
            window?: null | components["schemas"]["Window"];
        };
        /** @description The API's Project object. */
        ProjectView: {
            /** @description Upstream URL; `null` = the server's default for the provider. */
            baseUrl?: string | null;
            /** @description RFC 3339. */
            createdAt: string;
            /**
             * Format: int64
             * @description Requests per day; `null` = no limit.
             */
            dailyRequestLimit?: number | null;
            /**
             * Format: int64
             * @description Tokens per day; `null` = no limit.
             */
            dailyTokenLimit?: number | null;
            /**
             * Format: int64
             * @description Extension: output tokens reserved for requests without `max_tokens`, shown when not the default.
             */
            defaultOutputTokens?: number | null;
            /** @description Whether a provider API key is stored (the key itself is never returned). */
            hasProviderApiKey: boolean;
            /** @description Id (uuid). */
            id: string;
            /** @description JSON answered (templated) with a 429 when a base limit is reached. */
            limitExceededResponse?: Record<string, unknown> | null;
            /** @description `requests` | `tokens` | `both`. */
            limitType: components["schemas"]["LimitType"];
            /** @description Display name. */
            name: string;
            /** @description Publishable key, `pk_` + base62. */
            projectKey: string;
            /** @description `openai` | `anthropic` | `azure` | `gemini` | `cohere`. */
            provider: components["schemas"]["Provider"];
            /** @description A hint of the stored key, e.g. `sk-…AbCd`. */
            providerApiKeyPreview?: string | null;
            providerSettings?: null | components["schemas"]["ProviderSettings"];
            /** @description Rules, evaluated in order. */
            rules: Record<string, unknown>[];
            /** @description Tiers by name: `{"requestLimit": n|null, "tokenLimit": n|null}`. */
            tiers: {
                [key: string]: components["schemas"]["TierLimits"];
            };
            /** @description RFC 3339. */
            updatedAt: string;
            window?: null | components["schemas"]["Window"];
        };
        /**
         * @description Which upstream API a project uses (the project's `provider` field).
         * @enum {string}
         */
        Provider: "openai" | "anthropic" | "azure" | "gemini" | "cohere";
        /**
         * @description Settings of each provider; only the one of the project's `provider` is used, so switching
         *     providers back and forth keeps both.
         */
        ProviderSettings: {
            azure?: null | components["schemas"]["AzureSettings"];
            cohere?: null | components["schemas"]["CohereSettings"];
            gemini?: null | components["schemas"]["GeminiSettings"];
        };
        /** @description Readiness answer. */
        Readiness: {
            /** @description `ok` or `unavailable`. */
            database: string;
            /** @description `ready` or `not_ready`. */
            status: string;
            /** @description `ok` or `unavailable` (Redis when `REDIS_URL` is set). */
            usageStore: string;
        };
        /** @description A session: the JWT and its user. */
        SessionResponse: {
            /** @description `Authorization: Bearer` token of later requests. */
            token: string;
            /** @description The signed-in user. */
            user: components["schemas"]["User"];
        };
        /** @description `POST /api/auth/signup` body. */
        SignupRequest: {
            /** @description The first user's e-mail. */
            email: string;
            /** @description The new organization's name (unique, case-insensitively). */
            organizationName: string;
            /** @description Optional password for the legacy login (at least 8 characters). */
            password?: string | null;
        };
        /** @description `POST /api/auth/signup` answer. */
        SignupResponse: {
            /** @description The registered e-mail. */
            email: string;
            /** @description What happens next. */
            message: string;
        };
        /** @description A tier's limits (documentation schema; core validates the real thing). */
        TierLimits: {
            /**
             * Format: int64
             * @description Requests per period; `null` = no limit.
             */
            requestLimit?: number | null;
            /**
             * Format: int64
             * @description Tokens per period; `null` = no limit.
             */
            tokenLimit?: number | null;
        };
        /** @description Per-day history. */
        UsageHistory: {
            /** @description Every day from `from` to `to`, oldest first (days without traffic are zeros). */
            days: components["schemas"]["HistoryDay"][];
        };
        /** @description A project's usage in one period. */
        UsageSummary: {
            /**
             * Format: int64
             * @description Admitted requests that failed upstream (not in `totalRequests`).
             */
            errorRequests: number;
            /**
             * Format: int64
             * @description Requests answered with a 429.
             */
            limitedRequests: number;
            /** @description First day of the period, `YYYY-MM-DD`. */
            periodStart: string;
            /**
             * Format: int64
             * @description Admitted requests that count toward limits.
             */
            totalRequests: number;
            /**
             * Format: int64
             * @description Tokens counted.
             */
            totalTokens: number;
            /**
             * Format: int64
             * @description Identities with usage in the period.
             */
            uniqueIdentities: number;
        };
        /** @description A signed-in user as the API shows it. */
        User: {
            /** @description E-mail, lower case. */
            email: string;
            /** @description User id (uuid). */
            id: string;
            /** @description Organization id (uuid). */
            organizationId: string;
            /** @description Organization name as registered. */
            organizationName: string;
        };
        /** @description `POST /api/auth/magic-link/verify` body. */
        VerifyRequest: {
            /** @description The token from the link. */
            token: string;
        };
        /**
         * @description `window` values (documentation schema).
         * @enum {string}
         */
        Window: "hour" | "day" | "week" | "month";
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    admin_create_project: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProjectPatch"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectView"];
                };
            };
            /** @description `invalid_request` with `field` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Missing or wrong admin key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Admin API disabled (no GLOBAL_ADMIN_KEY) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    identity_usage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The end user */
                identity: string;
                /** @description The project key, `pk_…` */
                projectKey: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Usage */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminIdentityUsage"];
                };
            };
            /** @description Invalid identity */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Missing or wrong admin key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown project key, or admin API disabled */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description Signed in */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionResponse"];
                };
            };
            /** @description Wrong e-mail or password (`invalid_credentials`) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    request_magic_link: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MagicLinkRequest"];
            };
        };
        responses: {
            /** @description If the e-mail is registered, a link was sent */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageResponse"];
                };
            };
            /** @description Invalid e-mail */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many links requested for this e-mail or from this address (`rate_limited`, with `Retry-After`) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    verify_magic_link: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["VerifyRequest"];
            };
        };
        responses: {
            /** @description Signed in */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionResponse"];
                };
            };
            /** @description Unknown, used or expired token (`invalid_token`) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description Missing, invalid or expired token (`unauthorized`) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    signup: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SignupRequest"];
            };
        };
        responses: {
            /** @description Organization and user created; magic link sent */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SignupResponse"];
                };
            };
            /** @description Invalid e-mail, name or password (`invalid_request`), or reserved name (`organization_reserved`) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `organization_taken` or `email_taken` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    openapi_json: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI 3.1 document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
        };
    };
    list_projects: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Projects, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectView"][];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_project: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProjectPatch"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectView"];
                };
            };
            /** @description `invalid_request` with `field` (unknown fields included) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_project: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Project id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The project */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectView"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project in the caller's organization */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_project: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Project id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project in the caller's organization */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_project: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Project id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProjectPatch"];
            };
        };
        responses: {
            /** @description The updated project */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectView"];
                };
            };
            /** @description `invalid_request` with `field` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project in the caller's organization */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    rotate_project_key: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Project id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The project with its new `projectKey` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectView"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project in the caller's organization */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    by_identity: {
        parameters: {
            query?: {
                /** @description `nextCursor` of the previous page */
                cursor?: string;
                /** @description A day of the period, YYYY-MM-DD (default today) */
                date?: string;
                /** @description Items per page, 1–1000 (default 100) */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Project id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IdentityUsagePage"];
                };
            };
            /** @description Bad date, limit or cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    history: {
        parameters: {
            query?: {
                /** @description First day, YYYY-MM-DD (default 29 days before `to`) */
                from?: string;
                /** @description Last day, YYYY-MM-DD (default today); at most 366 days after `from` */
                to?: string;
            };
            header?: never;
            path: {
                /** @description Project id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Days, oldest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UsageHistory"];
                };
            };
            /** @description Bad or reversed dates, or a span over 366 days */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    summary: {
        parameters: {
            query?: {
                /** @description A day of the period, YYYY-MM-DD (default today) */
                date?: string;
            };
            header?: never;
            path: {
                /** @description Project id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Summary */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UsageSummary"];
                };
            };
            /** @description Bad date */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    openai_chat_completions: {
        parameters: {
            query?: never;
            header?: {
                /** @description The project key `pk_…` (or `Authorization: Bearer pk_…` on the OpenAI-compatible route) */
                "x-project-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description The provider's chat completion, OpenAI format */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `invalid_request` (e.g. `field: "identity"`) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached or blocked by a rule; `Retry-After` and rate-limit headers (and, on the OpenAI-compatible route, `x-should-retry: false`, so OpenAI SDKs do not retry) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `upstream_error` */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    openai_embeddings: {
        parameters: {
            query?: never;
            header?: {
                /** @description The end user (else the body's `user`) */
                "x-identity"?: string;
                /** @description The project key `pk_…` (or `Authorization: Bearer pk_…`, as OpenAI's SDKs send it) */
                "x-project-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description OpenAI's embedding list */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `invalid_request` (`field`/`param` names the value: `identity`, a field the provider cannot take, or `provider` when the project's provider does not serve this operation) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
            /** @description Limit reached or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
            /** @description `upstream_error`: the provider failed or could not be reached; not counted */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
        };
    };
    openai_images: {
        parameters: {
            query?: never;
            header?: {
                /** @description The end user (else the body's `user`) */
                "x-identity"?: string;
                /** @description The project key `pk_…` (or `Authorization: Bearer pk_…`, as OpenAI's SDKs send it) */
                "x-project-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description OpenAI's image list (or, with `stream: true`, its typed events) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `invalid_request` (`field`/`param` names the value: `identity`, a field the provider cannot take, or `provider` when the project's provider does not serve this operation) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
            /** @description Limit reached or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
            /** @description `upstream_error`: the provider failed or could not be reached; not counted */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
        };
    };
    openai_models: {
        parameters: {
            query?: never;
            header?: {
                /** @description The project key `pk_…` (or `Authorization: Bearer pk_…`, as OpenAI's SDKs send it) */
                "x-project-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
            /** @description `upstream_error` */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
        };
    };
    openai_responses: {
        parameters: {
            query?: never;
            header?: {
                /** @description The end user (else the body's `user`) */
                "x-identity"?: string;
                /** @description The project key `pk_…` (or `Authorization: Bearer pk_…`, as OpenAI's SDKs send it) */
                "x-project-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description OpenAI's `response` object, or with `stream: true` its typed events (`response.created` … `response.completed`) passed through unchanged */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                    "text/event-stream": string;
                };
            };
            /** @description `invalid_request` (`field`/`param` names the value: `identity`, a field the provider cannot take, or `provider` when the project's provider does not serve this operation) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
            /** @description Limit reached or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
            /** @description `upstream_error`: the provider failed or could not be reached; not counted */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code?: string;
                            message: string;
                            param?: string | null;
                            type: string;
                        };
                    };
                };
            };
        };
    };
    proxy_chat: {
        parameters: {
            query?: never;
            header?: {
                /** @description The project key `pk_…` (or `Authorization: Bearer pk_…` on the OpenAI-compatible route) */
                "x-project-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description The provider's chat completion, OpenAI format */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `invalid_request` (e.g. `field: "identity"`) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached or blocked by a rule; `Retry-After` and rate-limit headers (and, on the OpenAI-compatible route, `x-should-retry: false`, so OpenAI SDKs do not retry) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `upstream_error` */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    proxy_chat_stream: {
        parameters: {
            query?: never;
            header?: {
                /** @description The project key `pk_…` (or `Authorization: Bearer pk_…` on the OpenAI-compatible route) */
                "x-project-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description OpenAI-format `data:` chunks ending with `data: [DONE]` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": unknown;
                };
            };
            /** @description `invalid_request` (e.g. `field: "identity"`) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached or blocked by a rule; `Retry-After` and rate-limit headers (and, on the OpenAI-compatible route, `x-should-retry: false`, so OpenAI SDKs do not retry) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `upstream_error` */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    proxy_embeddings: {
        parameters: {
            query?: never;
            header: {
                /** @description The project key `pk_…` */
                "x-project-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description OpenAI's embedding list */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `invalid_request` (`field`/`param` names the value: `identity`, a field the provider cannot take, or `provider` when the project's provider does not serve this operation) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `upstream_error`: the provider failed or could not be reached; not counted */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    proxy_images: {
        parameters: {
            query?: never;
            header: {
                /** @description The project key `pk_…` */
                "x-project-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description OpenAI's image list */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `invalid_request` (`field`/`param` names the value: `identity`, a field the provider cannot take, or `provider` when the project's provider does not serve this operation) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `upstream_error`: the provider failed or could not be reached; not counted */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    proxy_models: {
        parameters: {
            query?: never;
            header: {
                /** @description The project key `pk_…` */
                "x-project-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `upstream_error` */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    proxy_responses: {
        parameters: {
            query?: never;
            header: {
                /** @description The project key `pk_…` */
                "x-project-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description OpenAI's `response` object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `invalid_request` (`field`/`param` names the value: `identity`, a field the provider cannot take, or `provider` when the project's provider does not serve this operation) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `upstream_error`: the provider failed or could not be reached; not counted */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    proxy_responses_stream: {
        parameters: {
            query?: never;
            header: {
                /** @description The project key `pk_…` */
                "x-project-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description The Responses API's typed events, passed through unchanged */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description `invalid_request` (`field`/`param` names the value: `identity`, a field the provider cannot take, or `provider` when the project's provider does not serve this operation) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description `upstream_error`: the provider failed or could not be reached; not counted */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Up */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text format */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description A dependency is unreachable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
}
