"""The served OpenAPI document says what the service answers (miyraa/openapi.py)."""

from miyraa.openapi import amend


def spec() -> dict:
    client_id = {"anyOf": [{"type": "string", "maxLength": 128}, {"type": "null"}], "default": None}
    body = {"type": "object", "properties": {"text": {"type": "string"}, "client_id": client_id}}
    inline = {"type": "string", "maxLength": 128, "default": None}  # BentoML's request-body form
    operation = {
        "requestBody": {"content": {"application/json": {"schema": {"properties": {"client_id": inline}}}}},
        "responses": {"200": {}, "400": {"$ref": "InvalidArgument"}},
    }
    return {
        "paths": {"/fingerprint": {"post": operation}, "/livez": {"get": {"responses": {"200": {}}}}},
        "components": {
            "schemas": {
                "Body": body,
                "InvalidArgument": {"properties": {"detail": {"type": "string"}}},
            }
        },
    }


def test_the_service_own_answers_are_documented_on_the_apis_only():
    out = amend(spec(), ("/fingerprint",))
    responses = out["paths"]["/fingerprint"]["post"]["responses"]
    assert sorted(responses) == ["200", "400", "401", "408", "413", "415", "422", "429", "500", "503"]
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/UnsupportedLanguage")
    assert responses["503"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert "headers" not in responses["413"]
    assert out["components"]["schemas"]["Error"]["required"] == ["error"]
    assert sorted(out["paths"]["/livez"]["get"]["responses"]) == ["200"]
    assert out["paths"]["/fingerprint"]["post"]["requestBody"]["required"] is True


def test_the_422_for_an_unsupported_language_is_documented_on_the_single_text_api_only():
    out = amend(
        {
            **spec(),
            "paths": {
                **spec()["paths"],
                "/fingerprint/batch": {"post": spec()["paths"]["/fingerprint"]["post"]},
            },
        },
        ("/fingerprint", "/fingerprint/batch"),
    )
    assert "422" in out["paths"]["/fingerprint"]["post"]["responses"]
    assert "422" not in out["paths"]["/fingerprint/batch"]["post"]["responses"]
    example = out["components"]["schemas"]["UnsupportedLanguage"]["example"]
    assert example["language"] == {"code": "es", "confidence": 0.9906, "supported": False}


def test_validation_detail_is_a_list_as_sent():
    detail = amend(spec(), ())["components"]["schemas"]["InvalidArgument"]["properties"]["detail"]
    assert detail["type"] == "array"


def test_optional_fields_are_nullable_in_openapi_3_0_terms():
    out = amend(spec(), ())
    assert out["components"]["schemas"]["Body"]["properties"]["client_id"] == {
        "type": "string",
        "maxLength": 128,
        "default": None,
        "nullable": True,
    }
    inline = out["paths"]["/fingerprint"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert inline["properties"]["client_id"]["nullable"] is True
    assert "nullable" not in out["components"]["schemas"]["Body"]["properties"]["text"]
