"""Drives the OpenAI drop-in endpoint with the official `openai` Python package.

Usage: python3 openai_dropin.py <base_url> <project_key> [<upgrade_project_key>]

`base_url` is the server's `…/api/v1/openai`; the project behind `project_key` forwards to a
mock upstream answering "Hello" and allows exactly two requests per identity. The optional
`upgrade_project_key` allows none and answers with its own limit response (a deep link, a web
URL and a custom object). Prints one `OK <step>` line per step that behaved as the drop-in
promises and exits 0; any surprise raises (non-zero exit, traceback on stderr). Exits 3 with
`SKIPPED` when `openai` is missing.
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
        # The default denial's fields travel inside the error object.
        # (The stream's tokens may still be settling: its end reaches the client first.)
        assert error.body["usage"]["requestsUsed"] == 2, error.body
        assert isinstance(error.body["usage"]["tokensUsed"], int), error.body
        assert error.body["limits"]["requestLimit"] == 2, error.body
        assert error.body["limitType"] == "requests" and error.body["resetAt"], error.body
        print("OK rate_limit", error.body.get("code"))
    else:
        raise AssertionError("the third request of a limit of 2 was not refused")

    if len(sys.argv) > 3:
        upgrade = openai.OpenAI(base_url=base_url, api_key=sys.argv[3], max_retries=0, timeout=30)
        try:
            upgrade.chat.completions.create(model="gpt-test", messages=messages, user="py-user")
        except openai.RateLimitError as error:
            assert error.body["deepLink"] == "myapp://upgrade", error.body
            assert error.body["webUrl"] == "https://example.com/upgrade", error.body
            assert error.body["plan"] == {"name": "pro", "price": 9}, error.body
            assert error.body["message"] == "Upgrade to Pro!", error.body
            assert error.body["type"] == "rate_limit_error", error.body
            print("OK deep_link", error.body["code"])
        else:
            raise AssertionError("a project allowing no request admitted one")


if __name__ == "__main__":
    main()
