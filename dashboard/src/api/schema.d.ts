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
    "/api/projects/{id}/identities/{identity}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Erases one identity of a project; its limits start afresh. */
        delete: operations["forget_identity"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}/identity-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Creates the project's identity-signing secret, or rotates it (the replaced secret keeps
         *     verifying tokens for 24 hours). The secret is shown only in this response.
         */
        post: operations["rotate_identity_secret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
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
        /**
         * Identities of a project, most requests first, paginated: in a period of the project's
         *     window (`date`, default the current one), or totalled over `from`–`to`. CSV with
         *     `Accept: text/csv` (the next page's cursor then in `x-next-cursor`).
         */
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
        /**
         * History from the per-day rollups, per day, ISO week or calendar month (UTC), for charts
         *     and weekly/monthly reports; CSV with `Accept: text/csv`.
         */
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
    "/api/projects/{id}/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A project's endpoints (no secrets). */
        get: operations["list"];
        put?: never;
        /** Adds an endpoint; the answer shows its signing secret, once. */
        post: operations["create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}/webhooks/{wid}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One endpoint (no secret). */
        get: operations["get"];
        put?: never;
        post?: never;
        /** Deletes an endpoint and its delivery log. */
        delete: operations["delete"];
        options?: never;
        head?: never;
        /** Changes an endpoint: URL, events, description, enabled (re-enabling resumes delivery). */
        patch: operations["update"];
        trace?: never;
    };
    "/api/projects/{id}/webhooks/{wid}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The endpoint's delivery log, newest first, a page at a time. */
        get: operations["deliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}/webhooks/{wid}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A new signing secret (the old one stops signing at once); shown once. */
        post: operations["rotate_secret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/projects/{id}/webhooks/{wid}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Queues a `webhook.test` event for this endpoint. */
        post: operations["test"];
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
            /** @description Admitted requests. */
            requestsUsed: number;
            /** @description Tokens counted. */
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
        /**
         * @description When a rule applies (nesting level 1 of at most 8): a usage share or count, a tier, or `and`/`or` of nested conditions.
         * @example {
         *       "metric": "requests",
         *       "operator": "gte",
         *       "threshold": 80,
         *       "type": "usage_percent"
         *     }
         */
        Condition: {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_percent";
        } | {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_absolute";
        } | {
            /** @constant */
            type: "tier_match";
            value: string;
        } | {
            /** @constant */
            type: "tier_match";
            values: string[];
        } | {
            conditions: components["schemas"]["ConditionLevel2"][];
            /** @enum {string} */
            operator: "and" | "or";
            /** @constant */
            type: "composite";
        };
        /**
         * @description When a rule applies (nesting level 2 of at most 8): a usage share or count, a tier, or `and`/`or` of nested conditions.
         * @example {
         *       "metric": "requests",
         *       "operator": "gte",
         *       "threshold": 80,
         *       "type": "usage_percent"
         *     }
         */
        ConditionLevel2: {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_percent";
        } | {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_absolute";
        } | {
            /** @constant */
            type: "tier_match";
            value: string;
        } | {
            /** @constant */
            type: "tier_match";
            values: string[];
        } | {
            conditions: components["schemas"]["ConditionLevel3"][];
            /** @enum {string} */
            operator: "and" | "or";
            /** @constant */
            type: "composite";
        };
        /**
         * @description When a rule applies (nesting level 3 of at most 8): a usage share or count, a tier, or `and`/`or` of nested conditions.
         * @example {
         *       "metric": "requests",
         *       "operator": "gte",
         *       "threshold": 80,
         *       "type": "usage_percent"
         *     }
         */
        ConditionLevel3: {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_percent";
        } | {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_absolute";
        } | {
            /** @constant */
            type: "tier_match";
            value: string;
        } | {
            /** @constant */
            type: "tier_match";
            values: string[];
        } | {
            conditions: components["schemas"]["ConditionLevel4"][];
            /** @enum {string} */
            operator: "and" | "or";
            /** @constant */
            type: "composite";
        };
        /**
         * @description When a rule applies (nesting level 4 of at most 8): a usage share or count, a tier, or `and`/`or` of nested conditions.
         * @example {
         *       "metric": "requests",
         *       "operator": "gte",
         *       "threshold": 80,
         *       "type": "usage_percent"
         *     }
         */
        ConditionLevel4: {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_percent";
        } | {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_absolute";
        } | {
            /** @constant */
            type: "tier_match";
            value: string;
        } | {
            /** @constant */
            type: "tier_match";
            values: string[];
        } | {
            conditions: components["schemas"]["ConditionLevel5"][];
            /** @enum {string} */
            operator: "and" | "or";
            /** @constant */
            type: "composite";
        };
        /**
         * @description When a rule applies (nesting level 5 of at most 8): a usage share or count, a tier, or `and`/`or` of nested conditions.
         * @example {
         *       "metric": "requests",
         *       "operator": "gte",
         *       "threshold": 80,
         *       "type": "usage_percent"
         *     }
         */
        ConditionLevel5: {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_percent";
        } | {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_absolute";
        } | {
            /** @constant */
            type: "tier_match";
            value: string;
        } | {
            /** @constant */
            type: "tier_match";
            values: string[];
        } | {
            conditions: components["schemas"]["ConditionLevel6"][];
            /** @enum {string} */
            operator: "and" | "or";
            /** @constant */
            type: "composite";
        };
        /**
         * @description When a rule applies (nesting level 6 of at most 8): a usage share or count, a tier, or `and`/`or` of nested conditions.
         * @example {
         *       "metric": "requests",
         *       "operator": "gte",
         *       "threshold": 80,
         *       "type": "usage_percent"
         *     }
         */
        ConditionLevel6: {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_percent";
        } | {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_absolute";
        } | {
            /** @constant */
            type: "tier_match";
            value: string;
        } | {
            /** @constant */
            type: "tier_match";
            values: string[];
        } | {
            conditions: components["schemas"]["ConditionLevel7"][];
            /** @enum {string} */
            operator: "and" | "or";
            /** @constant */
            type: "composite";
        };
        /**
         * @description When a rule applies (nesting level 7 of at most 8): a usage share or count, a tier, or `and`/`or` of nested conditions.
         * @example {
         *       "metric": "requests",
         *       "operator": "gte",
         *       "threshold": 80,
         *       "type": "usage_percent"
         *     }
         */
        ConditionLevel7: {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_percent";
        } | {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_absolute";
        } | {
            /** @constant */
            type: "tier_match";
            value: string;
        } | {
            /** @constant */
            type: "tier_match";
            values: string[];
        } | {
            conditions: components["schemas"]["ConditionLevel8"][];
            /** @enum {string} */
            operator: "and" | "or";
            /** @constant */
            type: "composite";
        };
        /**
         * @description When a rule applies (nesting level 8 of at most 8): a usage share or count, a tier, or `and`/`or` of nested conditions.
         * @example {
         *       "metric": "requests",
         *       "operator": "gte",
         *       "threshold": 80,
         *       "type": "usage_percent"
         *     }
         */
        ConditionLevel8: {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_percent";
        } | {
            /** @enum {string} */
            metric: "requests" | "tokens";
            /** @enum {string} */
            operator: "gt" | "gte" | "lt" | "lte" | "eq";
            threshold: number;
            /** @constant */
            type: "usage_absolute";
        } | {
            /** @constant */
            type: "tier_match";
            value: string;
        } | {
            /** @constant */
            type: "tier_match";
            values: string[];
        } | {
            conditions: unknown[];
            /** @enum {string} */
            operator: "and" | "or";
            /** @constant */
            type: "composite";
        };
        /** @description One delivery. */
        Delivery: {
            /**
             * Format: int32
             * @description Attempts made.
             */
            attempts: number;
            /** @description Queued, RFC 3339. */
            createdAt: string;
            /** @description Event type. */
            eventType: string;
            /** @description The event id (`webhook-id`). */
            id: string;
            /**
             * Format: int32
             * @description HTTP status of the last attempt (null: none, or no answer).
             */
            lastResponseStatus?: number | null;
            /** @description Next attempt (pending deliveries), RFC 3339. */
            nextAttemptAt?: string | null;
            /** @description `pending`, `delivered` or `failed`. */
            status: string;
        };
        /** @description The delivery log, newest first. */
        DeliveryPage: {
            /** @description Up to `limit` deliveries. */
            items: components["schemas"]["Delivery"][];
            /** @description Pass as `cursor` for the next page; `null` on the last page. */
            nextCursor?: string | null;
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
            /** @description Requests answered with a 429. */
            limited: number;
            /** @description Admitted requests (that were not failed upstream). */
            requests: number;
            /** @description Tokens of those requests. */
            tokens: number;
            /** @description Distinct identities with admitted requests. */
            uniqueIdentities: number;
        };
        /** @description One week or month of history. */
        HistoryPeriod: {
            /**
             * @description Last day of the period, `YYYY-MM-DD` (inclusive: a Sunday, or the month's last day).
             * @example 2026-03-15
             */
            end: string;
            /** @description Requests answered with a 429. */
            limited: number;
            /** @description Admitted requests (that were not failed upstream). */
            requests: number;
            /**
             * @description First day of the period, `YYYY-MM-DD` (a Monday for weeks, the 1st for months).
             * @example 2026-03-09
             */
            start: string;
            /** @description Tokens of those requests. */
            tokens: number;
            /** @description Distinct identities with admitted requests in the whole period. */
            uniqueIdentities: number;
        };
        /** @description The history: per day (`{"days"}`) or per week or month (`{"interval", "periods"}`). */
        HistoryReport: components["schemas"]["UsageHistory"] | components["schemas"]["UsagePeriods"];
        /** @description The answer of `POST /api/projects/:id/identity-secret`: the new secret, shown only here. */
        IdentitySecretView: {
            /**
             * @description The new identity-signing secret (32 random bytes, base64url): sign tokens with this
             *     string as the HS256 key. Not retrievable later.
             */
            identitySecret: string;
            /** @description Until when the secret it replaced is still accepted (RFC 3339); `null` on creation. */
            previousValidUntil?: string | null;
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
            /** @description Admitted requests. */
            requestsUsed: number;
            /** @description Tier of its latest admitted request. */
            tier?: string | null;
            /** @description Tokens counted. */
            tokensUsed: number;
        };
        /**
         * @description The `interval` of a history report.
         * @example week
         * @enum {string}
         */
        Interval: "day" | "week" | "month";
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
            /**
             * Format: email
             * @description Where to send the link.
             * @example you@example.com
             */
            email: string;
        };
        /** @description A message-only answer. */
        MessageResponse: {
            /** @description What happened. */
            message: string;
        };
        /** @description `POST` body. */
        NewWebhook: {
            /** @description Free text. */
            description?: string | null;
            /**
             * @description Event types: `limit.warning`, `limit.exceeded`, `project_limit.exceeded`.
             * @example [
             *       "limit.exceeded"
             *     ]
             */
            events: components["schemas"]["WebhookEvent"][];
            /**
             * @description Where events are POSTed: a plain absolute http(s) URL (in production, not one whose
             *     host resolves to a loopback, private or link-local address).
             * @example https://example.com/hooks/ratelimit
             */
            url: string;
        };
        /** @description A new project: `name` is required, every other field optional (the defaults of `ProjectPatch`). */
        ProjectCreate: WithRequired<components["schemas"]["ProjectPatch"], "name">;
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
             * @description Requests per period; `null` = no limit.
             * @example 50
             */
            dailyRequestLimit?: number | null;
            /** @description Tokens per period; `null` = no limit. */
            dailyTokenLimit?: number | null;
            /** @description Output tokens reserved for a request that names no `max_tokens`. */
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
            projectLimits?: null | components["schemas"]["TierLimits"];
            /** @description `openai` (default) | `anthropic` | `azure` | `gemini` | `cohere`. */
            provider?: components["schemas"]["Provider"];
            /**
             * @description The provider's API key (write-only); `null` or `""` removes it.
             * @example sk-proj-…
             */
            providerApiKey?: string | null;
            providerSettings?: null | components["schemas"]["ProviderSettings"];
            /** @description Whether every proxied call must carry `x-identity-token` (default `false`). */
            requireSignedIdentity?: boolean;
            /** @description Rules, evaluated in order (`{"id", "name", "enabled", "condition", "action"}`). */
            rules?: components["schemas"]["Rule"][];
            /** @description Tiers by name: `{"requestLimit": n|null, "tokenLimit": n|null}`. */
            tiers?: {
                [key: string]: components["schemas"]["TierLimits"];
            };
            window?: null | components["schemas"]["Window"];
        };
        /** @description The API's Project object. */
        ProjectView: {
            /** @description Upstream URL; `null` = the server's default for the provider. */
            baseUrl?: string | null;
            /** @description RFC 3339. */
            createdAt: string;
            /** @description Requests per day; `null` = no limit. */
            dailyRequestLimit?: number | null;
            /** @description Tokens per day; `null` = no limit. */
            dailyTokenLimit?: number | null;
            /** @description Extension: output tokens reserved for requests without `max_tokens`, shown when not the default. */
            defaultOutputTokens?: number | null;
            /**
             * @description Extension: whether an identity secret exists (`POST …/identity-secret` creates or
             *     rotates it; the secret itself is shown only then), shown once one does.
             */
            hasIdentitySecret?: boolean;
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
            projectLimits?: null | components["schemas"]["TierLimits"];
            /** @description `openai` | `anthropic` | `azure` | `gemini` | `cohere`. */
            provider: components["schemas"]["Provider"];
            /** @description A hint of the stored key, e.g. `sk-…AbCd`. */
            providerApiKeyPreview?: string | null;
            providerSettings?: null | components["schemas"]["ProviderSettings"];
            /**
             * @description Whether every proxied call must carry `x-identity-token`, an HS256 JWT signed with the
             *     project's identity secret (identity and tier then come only from it).
             */
            requireSignedIdentity: boolean;
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
        Rule: {
            action: components["schemas"]["RuleAction"];
            condition: components["schemas"]["Condition"];
            /** @description Default true. */
            enabled?: boolean | null;
            /** @description Stable id; `rule-<n>` (its position) when absent. */
            id?: string | null;
            name?: string | null;
        };
        /**
         * @description What a rule does: `allow`, `block` (optional `message`) or `custom_response` (blocking, or a warning with `block: false`).
         * @example {
         *       "block": false,
         *       "response": {
         *         "message": "{{percent}}% of your free requests used"
         *       },
         *       "type": "custom_response"
         *     }
         */
        RuleAction: {
            /** @constant */
            type: "allow";
        } | {
            message?: string | null;
            /** @constant */
            type: "block";
        } | {
            block?: boolean | null;
            response: unknown;
            status?: number | null;
            /** @constant */
            type: "custom_response";
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
            /**
             * Format: email
             * @description The first user's e-mail.
             * @example you@example.com
             */
            email: string;
            /**
             * @description The new organization's name (unique, case-insensitively).
             * @example Acme
             */
            organizationName: string;
            /** @description Optional password for the legacy login (8 to 1024 characters). */
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
            /** @description Requests per period; `null` = no limit. */
            requestLimit?: number | null;
            /** @description Tokens per period; `null` = no limit. */
            tokenLimit?: number | null;
        };
        /** @description Per-day history (`interval=day`, the default). */
        UsageHistory: {
            /** @description Every day from `from` to `to`, oldest first (days without traffic are zeros). */
            days: components["schemas"]["HistoryDay"][];
        };
        /** @description Per-week or per-month history (`interval=week|month`). */
        UsagePeriods: {
            /**
             * @description `week` or `month`.
             * @example week
             */
            interval: string;
            /** @description Every whole period overlapping `from`–`to`, oldest first. */
            periods: components["schemas"]["HistoryPeriod"][];
        };
        /** @description A project's usage in one period. */
        UsageSummary: {
            /** @description Admitted requests that failed upstream (not in `totalRequests`). */
            errorRequests: number;
            /** @description Requests answered with a 429. */
            limitedRequests: number;
            /** @description First day of the period, `YYYY-MM-DD`. */
            periodStart: string;
            projectLimits?: null | components["schemas"]["TierLimits"];
            /** @description Project-wide requests counted against the cap in the period (when a cap is set). */
            requestsUsed?: number | null;
            /** @description Project-wide tokens counted against the cap in the period (when a cap is set). */
            tokensUsed?: number | null;
            /** @description Admitted requests that count toward limits. */
            totalRequests: number;
            /** @description Tokens counted. */
            totalTokens: number;
            /** @description Identities with usage in the period. */
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
        /** @description An endpoint (its secret only in the answers of creation and rotation). */
        Webhook: {
            /** @description RFC 3339. */
            createdAt: string;
            /** @description Free text. */
            description?: string | null;
            /** @description Whether events are sent (false after failing for 24 hours; set it again to resume). */
            enabled: boolean;
            /**
             * @description Subscribed event types.
             * @example [
             *       "limit.exceeded"
             *     ]
             */
            events: string[];
            /** @description Id. */
            id: string;
            /** @description `whsec_<base64>`: the signing key, shown once. */
            secret?: string | null;
            /**
             * @description Where events are POSTed.
             * @example https://example.com/hooks/ratelimit
             */
            url: string;
        };
        /**
         * @description The event types of the API.
         * @enum {string}
         */
        WebhookEvent: "limit.warning" | "limit.exceeded" | "project_limit.exceeded";
        /** @description `PATCH` body: any subset. */
        WebhookPatch: {
            /** @description Free text. */
            description?: string | null;
            /** @description Enable (resume) or disable. */
            enabled?: boolean | null;
            /** @description Event types. */
            events?: components["schemas"]["WebhookEvent"][] | null;
            /** @description Where events are POSTed. */
            url?: string | null;
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
                /**
                 * @example {
                 *       "dailyRequestLimit": 50,
                 *       "name": "My app",
                 *       "providerApiKey": "sk-proj-…"
                 *     }
                 */
                "application/json": components["schemas"]["ProjectCreate"];
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Missing or wrong admin key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Admin API disabled (no GLOBAL_ADMIN_KEY) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Missing or wrong admin key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown project key, or admin API disabled */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
            /** @description `invalid_request`: malformed JSON or an invalid field (`field` names it) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Wrong e-mail or password (`invalid_credentials`) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many links requested for this e-mail or from this address (`rate_limited`, with `Retry-After`) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "rate_limited",
                     *       "message": "too many requests, retry later"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
            /** @description `invalid_request`: malformed JSON or an invalid field (`field` names it) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown, used or expired token (`invalid_token`) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `organization_taken` or `email_taken` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "organization_taken",
                     *       "message": "an organization with this name already exists"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
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
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                /**
                 * @example {
                 *       "dailyRequestLimit": 50,
                 *       "name": "My app",
                 *       "providerApiKey": "sk-proj-…"
                 *     }
                 */
                "application/json": components["schemas"]["ProjectCreate"];
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project in the caller's organization */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project in the caller's organization */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project in the caller's organization */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    forget_identity: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Project id */
                id: string;
                /** @description The end user to erase (1–256 characters) */
                identity: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Erased (also when the identity was never seen) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Identity too long */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The usage store is unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    rotate_identity_secret: {
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
            /** @description The new secret (shown once) and until when the replaced one is accepted */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IdentitySecretView"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project in the caller's organization */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project in the caller's organization */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                /** @description A day of the period, YYYY-MM-DD (default today); unused (but still checked) with `from`/`to` */
                date?: string;
                /** @description First day of a range to total, YYYY-MM-DD (default `to`) */
                from?: string;
                /** @description Items per page, 1–1000 (default 100) */
                limit?: number;
                /** @description Last day of a range to total, YYYY-MM-DD (default today when `from` is given); at most 366 days after `from` */
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
            /** @description A page */
            200: {
                headers: {
                    /** @description CSV only: the next page's cursor, when there is one */
                    "x-next-cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IdentityUsagePage"];
                    /**
                     * @example identity,tier,requestsUsed,tokensUsed,periodStart
                     *     alice,pro,3,300,2026-03-10
                     */
                    "text/csv": string;
                };
            };
            /** @description Bad date, range, limit or cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The usage store is unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    history: {
        parameters: {
            query?: {
                /** @description First day, YYYY-MM-DD (default 29 days before `to` for days, 11 weeks for weeks, 11 months for months) */
                from?: string;
                /** @description `day` (default), `week` (ISO, Monday start) or `month` (calendar); weeks and months are whole periods overlapping `from`–`to` */
                interval?: components["schemas"]["Interval"];
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
            /** @description `{"days"}` for `interval=day`, `{"interval", "periods"}` for weeks and months, oldest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HistoryReport"];
                    /**
                     * @example date,requests,tokens,limited,uniqueIdentities
                     *     2026-03-10,8,370,2,4
                     */
                    "text/csv": string;
                };
            };
            /** @description Bad or reversed dates, a span over 366 days, or an unknown interval */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list: {
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
            /** @description Endpoints, oldest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"][];
                };
            };
            /** @description `unauthorized`: missing, invalid or expired session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `not_found`: no such resource */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create: {
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
                "application/json": components["schemas"]["NewWebhook"];
            };
        };
        responses: {
            /** @description Created, with `secret` */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"];
                };
            };
            /** @description Invalid URL (or a private address in production) or unknown event */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized`: missing, invalid or expired session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `not_found`: no such resource */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `limit_reached`: the project has 20 webhooks */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "organization_taken",
                     *       "message": "an organization with this name already exists"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Project id */
                id: string;
                /** @description Webhook id */
                wid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The endpoint */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"];
                };
            };
            /** @description `unauthorized`: missing, invalid or expired session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `not_found`: no such resource */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Project id */
                id: string;
                /** @description Webhook id */
                wid: string;
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
            /** @description `unauthorized`: missing, invalid or expired session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `not_found`: no such resource */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Project id */
                id: string;
                /** @description Webhook id */
                wid: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookPatch"];
            };
        };
        responses: {
            /** @description The endpoint */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"];
                };
            };
            /** @description `invalid_request`: malformed JSON or an invalid field (`field` names it) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized`: missing, invalid or expired session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `not_found`: no such resource */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    deliveries: {
        parameters: {
            query?: {
                /** @description `nextCursor` of the previous page */
                cursor?: string;
                /** @description Deliveries per page (default 100) */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Project id */
                id: string;
                /** @description Webhook id */
                wid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deliveries, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryPage"];
                };
            };
            /** @description Bad limit or cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unauthorized`: missing, invalid or expired session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `not_found`: no such resource */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    rotate_secret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Project id */
                id: string;
                /** @description Webhook id */
                wid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The endpoint with its new `secret` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"];
                };
            };
            /** @description `unauthorized`: missing, invalid or expired session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `not_found`: no such resource */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    test: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Project id */
                id: string;
                /** @description Webhook id */
                wid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `unauthorized`: missing, invalid or expired session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `not_found`: no such resource */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "message": "not found"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unavailable`: the database or usage store did not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
            /** @description `invalid_project_key` or `invalid_identity_token` */
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
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
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
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
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
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
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
    openai_embeddings: {
        parameters: {
            query?: never;
            header?: {
                /** @description The end user (else the body's `user`) */
                "x-identity"?: string;
                /** @description A signed identity: an HS256 JWT (`sub` = identity, optional `tier`, `exp`) signed with the project's identity secret. Required when the project sets `requireSignedIdentity`; identity and tier then come only from it */
                "x-identity-token"?: string;
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
            /** @description `invalid_project_key`, or `invalid_identity_token` (a required signed identity missing, or any identity token malformed, expired, not yet valid, wrongly signed or not HS256) */
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
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
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
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
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
            /** @description Limit reached (`limit_exceeded`, or `project_limit_exceeded` for the project-wide cap) or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
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
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
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
                /** @description A signed identity: an HS256 JWT (`sub` = identity, optional `tier`, `exp`) signed with the project's identity secret. Required when the project sets `requireSignedIdentity`; identity and tier then come only from it */
                "x-identity-token"?: string;
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
            /** @description `invalid_project_key`, or `invalid_identity_token` (a required signed identity missing, or any identity token malformed, expired, not yet valid, wrongly signed or not HS256) */
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
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
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
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
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
            /** @description Limit reached (`limit_exceeded`, or `project_limit_exceeded` for the project-wide cap) or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
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
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
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
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
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
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
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
                /** @description A signed identity: an HS256 JWT (`sub` = identity, optional `tier`, `exp`) signed with the project's identity secret. Required when the project sets `requireSignedIdentity`; identity and tier then come only from it */
                "x-identity-token"?: string;
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
            /** @description `invalid_project_key`, or `invalid_identity_token` (a required signed identity missing, or any identity token malformed, expired, not yet valid, wrongly signed or not HS256) */
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
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
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
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
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
            /** @description Limit reached (`limit_exceeded`, or `project_limit_exceeded` for the project-wide cap) or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
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
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key` or `invalid_identity_token` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "upstream_error",
                     *       "message": "the provider could not be reached"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key` or `invalid_identity_token` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "upstream_error",
                     *       "message": "the provider could not be reached"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    proxy_embeddings: {
        parameters: {
            query?: never;
            header: {
                /** @description A signed identity: an HS256 JWT (`sub` = identity, optional `tier`, `exp`) signed with the project's identity secret. Required when the project sets `requireSignedIdentity`; identity and tier then come only from it */
                "x-identity-token"?: string;
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key`, or `invalid_identity_token` (a required signed identity missing, or any identity token malformed, expired, not yet valid, wrongly signed or not HS256) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached (`limit_exceeded`, or `project_limit_exceeded` for the project-wide cap) or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
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
                    /**
                     * @example {
                     *       "error": "upstream_error",
                     *       "message": "the provider could not be reached"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    proxy_images: {
        parameters: {
            query?: never;
            header: {
                /** @description A signed identity: an HS256 JWT (`sub` = identity, optional `tier`, `exp`) signed with the project's identity secret. Required when the project sets `requireSignedIdentity`; identity and tier then come only from it */
                "x-identity-token"?: string;
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key`, or `invalid_identity_token` (a required signed identity missing, or any identity token malformed, expired, not yet valid, wrongly signed or not HS256) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached (`limit_exceeded`, or `project_limit_exceeded` for the project-wide cap) or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
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
                    /**
                     * @example {
                     *       "error": "upstream_error",
                     *       "message": "the provider could not be reached"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `upstream_error` */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "upstream_error",
                     *       "message": "the provider could not be reached"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    proxy_responses: {
        parameters: {
            query?: never;
            header: {
                /** @description A signed identity: an HS256 JWT (`sub` = identity, optional `tier`, `exp`) signed with the project's identity secret. Required when the project sets `requireSignedIdentity`; identity and tier then come only from it */
                "x-identity-token"?: string;
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key`, or `invalid_identity_token` (a required signed identity missing, or any identity token malformed, expired, not yet valid, wrongly signed or not HS256) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached (`limit_exceeded`, or `project_limit_exceeded` for the project-wide cap) or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
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
                    /**
                     * @example {
                     *       "error": "upstream_error",
                     *       "message": "the provider could not be reached"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    proxy_responses_stream: {
        parameters: {
            query?: never;
            header: {
                /** @description A signed identity: an HS256 JWT (`sub` = identity, optional `tier`, `exp`) signed with the project's identity secret. Required when the project sets `requireSignedIdentity`; identity and tier then come only from it */
                "x-identity-token"?: string;
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
                    /**
                     * @example {
                     *       "error": "invalid_request",
                     *       "field": "from",
                     *       "message": "must be a date YYYY-MM-DD"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `invalid_project_key`, or `invalid_identity_token` (a required signed identity missing, or any identity token malformed, expired, not yet valid, wrongly signed or not HS256) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "message": "authentication required"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `payload_too_large`: the body is over `MAX_BODY_BYTES` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "message": "the request body is larger than the server accepts (MAX_BODY_BYTES)"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `unsupported_media_type`: the body is not `application/json` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "message": "expected a JSON body with `Content-Type: application/json`"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Limit reached (`limit_exceeded`, or `project_limit_exceeded` for the project-wide cap) or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted */
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
                    /**
                     * @example {
                     *       "error": "upstream_error",
                     *       "message": "the provider could not be reached"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The usage store is unavailable; nothing was forwarded */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unavailable",
                     *       "message": "service temporarily unavailable"
                     *     }
                     */
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
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
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
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
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
            /** @description `method_not_allowed`: a method this path does not serve (see `Allow`) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "method_not_allowed",
                     *       "message": "this method is not allowed on this route"
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"];
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
type WithRequired<T, K extends keyof T> = T & {
    [P in K]-?: T[P];
};
