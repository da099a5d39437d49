"""The OpenAPI 3 document of the treasury API as the sandbox serves it (``/api/v1/openapi.json``).

It describes treasury-api.md version 1: every path, every answer with its
status and body, and every problem code. ``429``/``503`` (``overloaded``)
are listed on every operation because the year-end and flaky scenarios may
give them anywhere. The sandbox's own ``_admin`` endpoints are not part of
the contract and are not described.
"""

from __future__ import annotations

from typing import Any

PROBLEM_CODES = {
    400: ["bad-request", "idempotency-key-missing", "digest-mismatch", "not-a-package"],
    401: ["not-logged-in", "token-expired", "bad-credentials"],
    403: ["unit-mismatch"],
    404: ["not-found", "receipt-not-ready"],
    405: ["method-not-allowed"],
    409: ["in-progress"],
    413: ["too-large"],
    422: ["key-reused", "invalid-package", "signer-not-registered", "incomplete"],
    429: ["too-many-attempts", "overloaded"],
    503: ["overloaded"],
}

_DESCRIPTIONS = {
    400: "Yêu cầu không hợp lệ",
    401: "Chưa đăng nhập, phiên hết hạn hoặc sai thông tin đăng nhập",
    403: "Không thuộc đơn vị đang đăng nhập",
    404: "Không tìm thấy (hoặc thuộc đơn vị khác)",
    405: "Phương thức không được hỗ trợ",
    409: "Yêu cầu cùng khóa đang được xử lý",
    413: "Dữ liệu quá lớn",
    422: "Gói hồ sơ không hợp lệ hoặc khóa đã dùng cho gói khác",
    429: "Quá nhiều yêu cầu; thử lại sau Retry-After giây",
    503: "Quá tải; thử lại sau Retry-After giây",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(status: int) -> dict:
    out: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }
    if status in (409, 429, 503):
        out["headers"] = {"Retry-After": {"schema": {"type": "string"},
                                          "description": "giây chờ trước khi thử lại"}}
    return out


def _answers(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    out = dict(ok)
    for status in sorted({*errors, 405, 429, 503}):
        out[str(status)] = _problem(status)
    return out


def _json_body(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _param(name: str, where: str, schema: dict, *, required: bool = True,
           description: str | None = None) -> dict:
    """One operation parameter (``where``: path, query or header)."""
    out: dict[str, Any] = {"name": name, "in": where, "required": required, "schema": schema}
    if description is not None:
        out["description"] = description
    return out


def openapi_document(server_url: str = "/api/v1") -> dict:
    """The OpenAPI 3.0.3 document; ``server_url`` is the API base URL."""
    bearer = [{"bearer": []}]
    sid = _param("id", "path", {"type": "string"})
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "KBNN — API nộp hồ sơ thanh toán (sandbox đào tạo)",
            "version": "1",
            "description": "Giao diện giữa phần mềm của đơn vị và Kho bạc Nhà nước "
                           "(treasury-api.md, phiên bản 1), do Kho bạc mô phỏng phục vụ.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/health": {"get": {
                "operationId": "health", "summary": "Tình trạng máy chủ và giờ máy chủ",
                "security": [],
                "responses": _answers({"200": _json_body(_ref("Health"), "Máy chủ hoạt động")}),
            }},
            "/sessions": {"post": {
                "operationId": "login", "summary": "Đăng nhập bằng mã đơn vị",
                "security": [],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("LoginRequest")}}},
                "responses": _answers(
                    {"201": _json_body(_ref("Session"), "Đã đăng nhập")}, 400, 401, 413),
            }},
            "/sessions/current": {"delete": {
                "operationId": "logout", "summary": "Đăng xuất", "security": bearer,
                "responses": _answers({"204": {"description": "Đã đăng xuất"}}, 401),
            }},
            "/units/{unit_code}/signers": {"get": {
                "operationId": "signers", "summary": "Chữ ký số đã đăng ký của đơn vị",
                "security": bearer,
                "parameters": [_param("unit_code", "path", {"type": "string"})],
                "responses": _answers(
                    {"200": _json_body(_ref("Signers"), "Danh sách người ký đã đăng ký")}, 401, 403),
            }},
            "/submissions": {
                "post": {
                    "operationId": "submit", "summary": "Nộp gói hồ sơ ASiC-E đã ký đủ",
                    "security": bearer,
                    "parameters": [
                        _param("Idempotency-Key", "header", {"type": "string", "format": "uuid"}),
                        _param("Content-Digest", "header",
                               {"type": "string", "pattern": "^sha-256=:[A-Za-z0-9+/]{43}=:$"},
                               description="sha-256=:<base64>: (RFC 9530)"),
                    ],
                    "requestBody": {"required": True, "content": {
                        "application/vnd.etsi.asic-e+zip": {
                            "schema": {"type": "string", "format": "binary"}}}},
                    "responses": _answers({
                        "201": {**_json_body(_ref("SubmissionCreated"), "Đã tiếp nhận"),
                                "headers": {"Location": {"schema": {"type": "string"}}}},
                        "200": {**_json_body(_ref("SubmissionCreated"),
                                             "Cùng khóa, cùng nội dung: câu trả lời lần đầu"),
                                "headers": {"Location": {"schema": {"type": "string"}}}},
                    }, 400, 401, 403, 409, 413, 422),
                },
                "get": {
                    "operationId": "changes", "summary": "Hồ sơ của đơn vị thay đổi từ một thời điểm",
                    "security": bearer,
                    "parameters": [
                        _param("updated_since", "query", {"type": "string", "format": "date-time"},
                               required=False),
                        _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500},
                               required=False),
                        _param("cursor", "query",
                               {"type": "string", "pattern": "^[A-Za-z0-9_-]+={0,2}$"},
                               required=False,
                               description="giá trị «next» của trang trước, giữ nguyên"),
                    ],
                    "responses": _answers(
                        {"200": _json_body(_ref("SubmissionList"), "Một trang kết quả")}, 400, 401),
                },
            },
            "/submissions/{id}": {"get": {
                "operationId": "status", "summary": "Trạng thái một hồ sơ", "security": bearer,
                "parameters": [sid],
                "responses": _answers(
                    {"200": _json_body(_ref("SubmissionStatus"), "Trạng thái hồ sơ")}, 401, 404),
            }},
            "/submissions/{id}/receipt": {"get": {
                "operationId": "receipt", "summary": "Chứng từ báo Nợ (CMS SignedData) khi đã thanh toán",
                "security": bearer, "parameters": [sid],
                "responses": _answers({"200": {
                    "description": "Chứng từ báo Nợ",
                    "content": {"application/pkcs7-mime": {
                        "schema": {"type": "string", "format": "binary"}}}}}, 401, 404),
            }},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
    }


def _schemas() -> dict:
    status = {"type": "string", "enum": ["received", "accepted", "rejected", "paid"]}
    brief = {"type": "object", "required": ["kind", "number", "total"], "properties": {
        "kind": {"type": "string"}, "number": {"type": "string"}, "total": {"type": "integer"}}}
    return {
        "Problem": {
            "type": "object", "required": ["type", "status", "code", "title"],
            "properties": {
                "type": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "code": {"type": "string",
                         "enum": sorted({c for codes in PROBLEM_CODES.values() for c in codes}
                                        | {"invalid-package", "internal-error"}
                                        | _VERIFY_CODES)},
                "title": {"type": "string", "minLength": 1},
                "detail": {"type": "string"},
                "errors": {"type": "array", "items": {
                    "type": "object", "required": ["code", "where", "message"],
                    "properties": {"code": {"type": "string"}, "where": {"type": "string"},
                                   "message": {"type": "string"}}}},
            },
        },
        "Health": {
            "type": "object", "required": ["status", "time", "api_version"],
            "properties": {"status": {"type": "string", "enum": ["ok"]},
                           "time": {"type": "string", "format": "date-time"},
                           "api_version": {"type": "string", "enum": ["1"]},
                           "sandbox": {"type": "boolean",
                                       "description": "phần mở rộng: true ở Kho bạc mô phỏng"}},
        },
        "LoginRequest": {
            "type": "object", "required": ["unit_code", "username", "password"],
            "properties": {
                "unit_code": {"type": "string", "pattern": "^[0-9]{7}$"},
                "username": {"type": "string", "minLength": 1},
                "password": {"type": "string", "minLength": 1},
                "client": {"type": "object", "properties": {
                    "name": {"type": "string"}, "version": {"type": "string"},
                    "machine": {"type": "string"}}},
            },
        },
        "Session": {
            "type": "object", "required": ["token", "expires_at"],
            "properties": {"token": {"type": "string", "minLength": 16},
                           "expires_at": {"type": "string", "format": "date-time"}},
        },
        "Signers": {
            "type": "object", "required": ["signers"],
            "properties": {"signers": {"type": "array", "items": {
                "type": "object",
                "required": ["role", "name", "certificate_sha256", "not_after"],
                "properties": {
                    "role": {"type": "string", "enum": ["chief-accountant", "head-of-unit"]},
                    "name": {"type": "string"},
                    "certificate_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "not_after": {"type": "string", "format": "date-time"}}}}},
        },
        "SubmissionCreated": {
            "type": "object",
            "required": ["id", "status", "received_at", "package_sha256", "document"],
            "properties": {"id": {"type": "string"}, "status": status,
                           "received_at": {"type": "string", "format": "date-time"},
                           "package_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                           "document": brief},
        },
        "SubmissionStatus": {
            "type": "object",
            "required": ["id", "status", "status_text", "reason", "updated_at", "history",
                         "document"],
            "properties": {
                "id": {"type": "string"}, "status": status,
                "status_text": {"type": "string"},
                "reason": {"type": "string", "nullable": True},
                "updated_at": {"type": "string", "format": "date-time"},
                "history": {"type": "array", "items": {
                    "type": "object", "required": ["status", "at", "note"],
                    "properties": {"status": status,
                                   "at": {"type": "string", "format": "date-time"},
                                   "note": {"type": "string", "nullable": True}}}},
                "document": brief,
            },
        },
        "SubmissionList": {
            "type": "object", "required": ["items", "next"],
            "properties": {"items": {"type": "array", "items": _ref("SubmissionStatus")},
                           "next": {"type": "string", "nullable": True}},
        },
    }


# Codes of client.signing.verify that a 422 may carry as its first error.
_VERIFY_CODES = {
    "not-a-zip", "mimetype-invalid", "entry-name-unsafe", "entry-duplicate", "entry-corrupt",
    "entry-unexpected", "too-large", "document-missing", "document-invalid", "pdf-missing",
    "pdf-invalid", "manifest-invalid", "manifest-digest-mismatch", "entry-missing",
    "entry-not-covered", "signature-invalid", "algorithm-not-allowed",
    "certificate-expired-at-signing", "certificate-key-usage", "certificate-untrusted",
    "certificate-revoked", "timestamp-invalid", "role-missing", "role-repeated", "role-order",
    "earlier-signature-not-covered", "incomplete", "digest-mismatch",
}
