"""The REST API: JSON over plain HTTP, served on the same port as the page.

A thin adapter over :class:`rag.Engine` (through :class:`~ui.actions.Actions`, which the page and
the Gradio API share): every route is one engine call, every error one JSON object
``{"error": "..."}`` whose status the error's class names (``RagError.http_status``). A client's
mistake is answered, never logged as a traceback.

``POST /api/ask`` does not go through Gradio's queue: it runs on a small pool of threads of its own
(``Actions.ask_pool``, shared with the page, the Gradio API and MCP), sized by measurement (RELIABILITY.md, "Load").
"""

from __future__ import annotations

import asyncio
import functools
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag import MAX_FILE_BYTES, STATUSES, Answer, CorpusError, DocumentTooLargeError, RagError, to_json

from .actions import Actions

__all__ = ["API_PREFIX", "MAX_UPLOAD_REQUEST_BYTES", "STATUS_BY_ERROR", "create_api", "http_status"]

API_PREFIX = "/api"
MAX_UPLOAD_REQUEST_BYTES = MAX_FILE_BYTES + 2**20
"""A larger upload request is refused (413) before its body is read: one file of the largest size a
document may have, plus room for the form's framing; send several large files one per request."""


def _error_classes(cls: type[RagError]) -> list[type[RagError]]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _error_classes(child))]


STATUS_BY_ERROR: tuple[tuple[type[RagError], int], ...] = tuple(
    (cls, cls.http_status) for cls in _error_classes(RagError)
)
"""The HTTP status of each error of the package, as each class names it (``RagError.http_status``)."""


def http_status(err: RagError) -> int:
    return err.http_status


class AskRequest(BaseModel):
    question: str = Field(description="The question, in any language; answered only with quotes from the articles.")
    previous: str | None = Field(
        None, description="The question asked before it in the same conversation (for a short follow-up), or null."
    )
    k: int = Field(3, ge=1, le=100, description="At most this many quotes, best first.")
    by_source: bool = Field(
        False,
        description="Also group the answer per document (`by_source`: each document's title, publisher, author, "
        "date, status and own quotes, by date); a question naming several sources is always grouped.",
    )


class UrlRequest(BaseModel):
    url: str = Field(description="An http(s) URL of a web page or PDF to fetch and add.")
    overwrite: bool = Field(False, description="Replace a document of the same name.")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _rag_error(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RagError)
    return _error(http_status(err), str(err))


async def _invalid_request(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg', 'invalid')}"
        for e in err.errors()
    )
    return _error(400, f"bad request: {problems}")


async def _http_error(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, StarletteHTTPException)
    return JSONResponse({"error": str(err.detail)}, status_code=err.status_code, headers=err.headers)


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "a bad question or request",
        404: "no such document",
        409: "a build is already running",
        413: "the upload is too large",
        503: "no usable index yet (build it)",
    }
    schema = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
    return {c: {"description": described[c], "content": {"application/json": {"schema": schema}}} for c in codes}


_SPAN = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}
_ANSWER: dict[str, Any] = {
    "description": "The answer: the JSON object of `rag ask --json`",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": [f for f in Answer.json_fields or () if f not in Answer.json_unless_none],
                "properties": {
                    "question": {"type": "string"},
                    "abstained": {"type": "boolean"},
                    "status": {"type": "string", "enum": list(STATUSES)},
                    "confidence": {"type": ["number", "null"]},
                    "sources": {"type": "array", "items": {"type": "string"}},
                    "answer": {"type": "string"},
                    "quotes": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                **{k: {"type": "string"} for k in ("text", "doc", "title")},
                                **{k: {"type": "integer"} for k in ("n", "start", "end")},
                                "page": {"type": ["integer", "null"]},
                                "score": {"type": "number"},
                                "date": {"type": ["string", "null"], "description": "The document's date (ISO)."},
                                "dates": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "description": "The dates the quote states (ISO), relative ones resolved.",
                                },
                            },
                        },
                    },
                    "by_source": {
                        "type": "array",
                        "description": "Only with by_source (or several sources named): one group per document.",
                        "items": {
                            "type": "object",
                            "properties": {
                                **{k: {"type": ["string", "null"]} for k in ("publisher", "author", "date", "url")},
                                **{k: {"type": "string"} for k in ("doc", "title")},
                                "status": {"type": "string", "enum": ["answered", "uncertain", "nothing relevant"]},
                                "quotes": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                    },
                    "passages": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                **{k: {"type": "string"} for k in ("doc", "title", "text")},
                                "url": {"type": ["string", "null"]},
                                "page": {"type": ["integer", "null"]},
                                **{k: {"type": "integer"} for k in ("n", "start", "end")},
                                "quote_spans": {"type": "array", "items": _SPAN},
                            },
                        },
                    },
                    "missing": {"type": "array", "items": {"type": "string"}},
                    "missing_detail": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                **{k: {"type": "string"} for k in ("term", "kind", "text")},
                                "text_says": {"type": ["string", "null"]},
                            },
                        },
                    },
                },
            }
        }
    },
}


def create_api(actions: Actions) -> FastAPI:
    """The REST routes under ``/api`` (OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``,
    served without any CDN). Questions run on ``actions.ask_pool``; builds on the server's thread pool."""
    engine = actions.engine
    api = FastAPIOffline(
        title="rag-quotes",
        summary="Answers made only of verbatim quotes from the articles, each with a citation.",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        static_url=f"{API_PREFIX}/static-offline-docs",
        swagger_ui_oauth2_redirect_url=f"{API_PREFIX}/docs/oauth2-redirect",
    )
    default_openapi = api.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's schema, without the 422 it lists for bodies: invalid requests get 400 here."""
        spec = default_openapi()
        for operations in spec["paths"].values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        return spec

    api.openapi = openapi  # type: ignore[method-assign]
    api.add_exception_handler(RagError, _rag_error)
    api.add_exception_handler(RequestValidationError, _invalid_request)
    api.add_exception_handler(StarletteHTTPException, _http_error)

    @api.post(f"{API_PREFIX}/ask", responses={200: _ANSWER, **_responses(400, 503)}, tags=["answers"])
    async def ask(body: AskRequest) -> Response:
        """Answer a question with verbatim quotes: exactly the JSON object of `rag ask --json`
        (question, abstained, answer, quotes with doc/start/end, cited passages)."""
        call = functools.partial(engine.ask, body.question, k=body.k, previous=body.previous, by_source=body.by_source)
        answer = await asyncio.get_running_loop().run_in_executor(actions.ask_pool, call)
        return Response(to_json(answer), media_type="application/json")  # As `rag ask --json` writes it.

    @api.get(f"{API_PREFIX}/find", responses=_responses(400, 503), tags=["answers"])
    def find(
        q: str = Query(description="A name or phrase (case and word endings do not matter; a person also by surname)."),
        by: str = Query("doc", description="`doc`: by document, ordered by its date; `date`: also a `timeline`."),
    ) -> Response:
        """Every sentence that mentions `q`, grouped by document with a count each, ordered by date:
        exactly the JSON object of `rag find --json` (query, total, documents with their mentions)."""
        return Response(to_json(engine.find(q, by=by)), media_type="application/json")

    @api.get(f"{API_PREFIX}/status", tags=["index"])
    def status() -> dict[str, Any]:
        """The index status, as `rag status --json`."""
        return engine.status().to_dict()

    @api.get(f"{API_PREFIX}/documents", tags=["documents"])
    def documents() -> list[dict[str, Any]]:
        """Every document in the corpus folder or the index: doc, title, publisher, author, date,
        url, and state (indexed, or waiting for a rebuild)."""
        return actions.document_list()

    @api.get(f"{API_PREFIX}/documents/{{doc:path}}", responses=_responses(404, 503), tags=["documents"])
    def document(doc: str) -> dict[str, Any]:
        """An indexed document's metadata and the text its quotes' offsets index."""
        return actions.document_record(doc)

    @api.post(
        f"{API_PREFIX}/documents",
        responses=_responses(400, 409, 413),
        tags=["documents"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                                "overwrite": {"type": "boolean", "default": False},
                            },
                            "required": ["files"],
                        }
                    },
                    "application/json": {"schema": UrlRequest.model_json_schema()},
                },
            }
        },
    )
    async def add_documents(request: Request) -> dict[str, Any]:
        """Add `.txt`, `.md` or `.html` files (multipart field `files`, up to 50 MiB each; `overwrite`
        to replace a document of the same name) and update the index; returns the build report.
        A JSON body `{"url": "https://...", "overwrite": false}` fetches a web page or PDF instead."""
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = UrlRequest.model_validate(await _json(request))
            except ValidationError as err:
                raise RagError(f'bad request: send {{"url": "https://..."}} ({err.error_count()} problem(s))') from err
            added = await asyncio.to_thread(engine.add, urls=[body.url], overwrite=body.overwrite)
            return added.to_dict()
        length = request.headers.get("content-length")
        if length is None or not length.isdigit() or int(length) > MAX_UPLOAD_REQUEST_BYTES:
            raise DocumentTooLargeError(
                f"upload request of {length or 'unknown'} bytes refused: send at most one "
                f"{MAX_FILE_BYTES // 2**20} MiB file per request, with a Content-Length"
            )
        form = await request.form(max_files=100)
        uploads = [f for f in form.getlist("files") if isinstance(f, StarletteUpload)]
        overwrite = str(form.get("overwrite", "false")).lower() in {"1", "true", "yes", "on"}
        if not uploads:
            raise CorpusError("no file in the request: send the files in the multipart field `files`")
        with tempfile.TemporaryDirectory(prefix="rag-upload-") as tmp:
            pairs = [
                (await _spool(upload, Path(tmp) / str(i)), upload.filename or "") for i, upload in enumerate(uploads)
            ]
            report = await asyncio.to_thread(engine.add, pairs, overwrite=overwrite)
        return report.to_dict()

    @api.delete(f"{API_PREFIX}/documents/{{doc:path}}", responses=_responses(404, 409), tags=["documents"])
    def remove_document(doc: str) -> dict[str, Any]:
        """Move a document (and its sidecar) from the corpus folder to the trash and update the
        index; returns the build report. `POST /api/trash/{doc}` brings it back."""
        return engine.remove([doc]).to_dict()

    @api.get(f"{API_PREFIX}/trash", tags=["documents"])
    def trash() -> list[str]:
        """The removed documents that can be restored, most recently removed first."""
        return engine.trash()

    @api.post(f"{API_PREFIX}/trash/{{doc:path}}", responses=_responses(400, 404, 409), tags=["documents"])
    def restore_document(doc: str) -> dict[str, Any]:
        """Move a removed document back from the trash into the corpus folder and update the index;
        returns the build report (400 when a document of that name is in the corpus again)."""
        return engine.restore([doc]).to_dict()

    @api.post(f"{API_PREFIX}/rebuild", responses=_responses(409), tags=["index"])
    def rebuild() -> dict[str, Any]:
        """Update the index after the corpus folder changed (only new or changed documents are
        embedded); returns the build report."""
        return engine.build().to_dict()

    return api


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as err:
        raise RagError(f"the request body is not valid JSON ({err})") from err


async def _spool(upload: StarletteUpload, path: Path) -> Path:
    with path.open("wb") as out:
        while chunk := await upload.read(2**20):
            out.write(chunk)
    return path
