"""Drives the OpenAI drop-in endpoint with the official `openai` Python package.

Usage: python3 openai_dropin.py <base_url> <project_key>

`base_url` is the server's `…/api/v1/openai`; the project behind `project_key` forwards to a
mock upstream answering "Hello" and allows exactly two requests per identity. Prints one
`OK <step>` line per step that behaved as the drop-in promises and exits 0; any surprise
raises (non-zero exit, traceback on stderr). Exits 3 with `SKIPPED` when `openai` is missing.
"""

import sys

try:
    import openai
except ImportError:
    print("SKIPPED: the openai package is not importable")
    sys.exit(3)


def main() -> None:
    base_url, key = sys.argv[1], sys.argv[2]
    # No retries: the SDK would otherwise retry the 429 on its own.
    client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=30)
    messages = [{"role": "user", "content": "Say hello"}]

    completion = client.chat.completions.create(
        model="gpt-test", messages=messages, user="py-user"
    )
    assert completion.choices[0].message.content == "Hello", completion
    assert completion.usage is not None and completion.usage.total_tokens == 42, completion
    print("OK chat")

    stream = client.chat.completions.create(
        model="gpt-test", messages=messages, user="py-user", stream=True
    )
    text = "".join(
        chunk.choices[0].delta.content or ""
        for chunk in stream
        if chunk.choices
    )
    assert text == "Hello", text
    print("OK stream")

    try:
        client.chat.completions.create(model="gpt-test", messages=messages, user="py-user")
    except openai.RateLimitError as error:
        assert error.status_code == 429, error
        assert isinstance(error.body, dict) and error.body.get("type") == "rate_limit_error", error.body
        assert error.response.headers.get("retry-after"), error.response.headers
        print("OK rate_limit", error.body.get("code"))
    else:
        raise AssertionError("the third request of a limit of 2 was not refused")


if __name__ == "__main__":
    main()
