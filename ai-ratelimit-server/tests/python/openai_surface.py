"""Drives the rest of the OpenAI drop-in with the official `openai` Python package: the
Responses API (plain and streamed), embeddings, image generation and the model list.

Usage: python3 openai_surface.py <base_url> <project_key> <upgrade_project_key>

`base_url` is the server's `…/api/v1/openai`; the project behind `project_key` forwards to a
mock OpenAI upstream (tests/server/ops_upstream.rs) and allows every call; the one behind
`upgrade_project_key` allows none and answers with its own limit response carrying a deep link.
Prints one `OK <step>` line per step that behaved as the drop-in promises and exits 0; any
surprise raises (non-zero exit, traceback on stderr). Exits 3 with `SKIPPED` when `openai` is
missing.
"""

import sys

try:
    import openai
except ImportError:
    print("SKIPPED: the openai package is not importable")
    sys.exit(3)


def client(base_url: str, key: str) -> "openai.OpenAI":
    # No retries: the SDK would otherwise retry a 429 on its own. The identity travels in a
    # header, as an app adds it once to its client.
    return openai.OpenAI(
        base_url=base_url,
        api_key=key,
        max_retries=0,
        timeout=30,
        default_headers={"x-identity": "py-surface-user"},
    )


def main() -> None:
    base_url, key, upgrade_key = sys.argv[1], sys.argv[2], sys.argv[3]
    ok = client(base_url, key)

    response = ok.responses.create(model="gpt-test", input="Say hello", instructions="Be brief.")
    assert response.output_text == "Hello", response
    assert response.usage is not None and response.usage.total_tokens == 123, response.usage
    print("OK responses")

    text = []
    completed = None
    for event in ok.responses.create(model="gpt-test", input="Say hello", stream=True):
        if event.type == "response.output_text.delta":
            text.append(event.delta)
        elif event.type == "response.completed":
            completed = event.response
    assert "".join(text) == "Hello", text
    assert completed is not None and completed.usage.total_tokens == 48, completed
    print("OK responses_stream")

    # The SDK asks for base64 by default and decodes it into floats itself.
    embedded = ok.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert [list(e.embedding) for e in embedded.data] == [[0.25, -0.5, 1.0]] * 2, embedded
    assert embedded.usage.total_tokens == 8, embedded.usage
    print("OK embeddings")

    image = ok.images.generate(model="gpt-image-1", prompt="A cat")
    assert image.data and image.data[0].b64_json, image
    assert image.usage is not None and image.usage.total_tokens == 100, image.usage
    print("OK images")

    models = [m.id for m in ok.models.list()]
    assert "gpt-test" in models, models
    print("OK models")

    upgrade = client(base_url, upgrade_key)
    calls = {
        "responses": lambda: upgrade.responses.create(model="gpt-test", input="Say hello"),
        "responses_stream": lambda: upgrade.responses.create(model="gpt-test", input="Say hello", stream=True),
        "embeddings": lambda: upgrade.embeddings.create(model="text-embedding-3-small", input="a"),
        "images": lambda: upgrade.images.generate(model="gpt-image-1", prompt="A cat"),
    }
    for name, call in calls.items():
        try:
            call()
        except openai.RateLimitError as error:
            assert error.status_code == 429, error
            assert error.body["type"] == "rate_limit_error", error.body
            assert error.body["deepLink"] == "myapp://upgrade", error.body
            assert error.body["message"] == "Upgrade to Pro!", error.body
            assert error.response.headers.get("retry-after"), error.response.headers
            assert error.response.headers.get("x-should-retry") == "false", error.response.headers
            print("OK rate_limit", name, error.body["code"])
        else:
            raise AssertionError(f"{name}: a project allowing no request admitted one")

    # The model list counts toward no limit: a project that admits nothing still lists them.
    assert [m.id for m in upgrade.models.list()] == models
    print("OK models_unlimited")


if __name__ == "__main__":
    main()
