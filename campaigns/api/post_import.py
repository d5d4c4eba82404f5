"""`POST /api/v1/posts/import/`: many posts from one CSV file, all or nothing.

The body is the file itself (`Content-Type: text/csv`) or a multipart form with
a `file` field. The columns are documented in `campaigns.services.imports`. This
endpoint alone accepts bodies up to `IMPORT_MAX_BYTES` (a 10,000-row file is
about 1.5 MB, near the general 2.5 MB limit); larger ones answer 413.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.models import Campaign
from campaigns.services import imports
from core.api.common import error_response
from core.api.docs import RETRY_AFTER, ErrorResponseSerializer, errors
from core.api.filters import parse_id
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import HELP as WORKSPACE_HELP
from workspaces.api.workspace_refs import find_workspace
from workspaces.models import Workspace
from workspaces.permissions import Action, visible_workspaces

IMPORT_MAX_BYTES = 16 * 1024 * 1024


def _too_big() -> RequestDataTooBig:
    return RequestDataTooBig(f"A CSV import is {IMPORT_MAX_BYTES} bytes at most.")


class CsvParser(parsers.BaseParser):
    """A `text/csv` body as text, refused above `IMPORT_MAX_BYTES` (413)."""

    media_type = "text/csv"

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, bytes]:
        body = stream.read(IMPORT_MAX_BYTES + 1) if stream is not None else b""
        if len(body) > IMPORT_MAX_BYTES:
            raise _too_big()
        return {"text": body}


class ImportResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField(help_text="How many posts were made.")
    post_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="Their ids, in file order."
    )


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The CSV file (UTF-8).")


INVALID_400 = OpenApiResponse(
    ErrorResponseSerializer,
    description="Nothing was imported. `rows` lists every problem as "
    "`{line, column, message}` (line 1 is the header; the first 1,000 are "
    "listed, `error_count` says how many in all); `fields.rows` says the same "
    "as text. Other `fields` (`campaign`, `workspace`, `file`) are about the "
    "request itself.",
    examples=[
        OpenApiExample(
            "Two bad rows",
            value={
                "error": {
                    "code": "invalid",
                    "message": "2 problems in the file; nothing was imported.",
                    "fields": {
                        "rows": [
                            "line 3, scheduled_at: Give the time with its offset.",
                            "line 7, pillar: No pillar 'Pets' in campaign 'Spring'.",
                        ]
                    },
                    "rows": [
                        {
                            "line": 3,
                            "column": "scheduled_at",
                            "message": "Give the time with its offset.",
                        },
                        {
                            "line": 7,
                            "column": "pillar",
                            "message": "No pillar 'Pets' in campaign 'Spring'.",
                        },
                    ],
                    "error_count": 2,
                }
            },
        )
    ],
)

CSV_EXAMPLE = (
    "campaign,topic,angle,scheduled_at,accounts,pillar\n"
    "Spring launch,Why we roast light,Myth-busting,2026-03-02 09:00,"
    "Contoso|12,Product\n"
    "Spring launch,Meet the roaster,,2026-03-04T12:00:00+01:00,,Behind the scenes\n"
)


def _invalid(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


class PostImportViewSet(ApiViewSet):
    create_permission = Action.EDIT_CONTENT
    parser_classes = [CsvParser, parsers.MultiPartParser]

    def _target(self, request: Request) -> tuple[Workspace, Campaign | None]:
        """The workspace (and default campaign) named by the query string."""
        principal = self.principal()
        workspaces = visible_workspaces(principal)
        campaign = None
        if raw := request.query_params.get("campaign", "").strip():
            campaign = (
                Campaign.objects.filter(
                    workspace__in=workspaces, pk=parse_id(raw, "campaign")
                )
                .select_related("workspace")
                .first()
            )
            if campaign is None:
                raise _invalid("campaign", "No such campaign.")
        if raw := request.query_params.get("workspace", "").strip():
            workspace = find_workspace(raw, workspaces)
            if workspace is None:
                raise _invalid("workspace", "No such workspace.")
            if campaign is not None and campaign.workspace_id != workspace.pk:
                raise _invalid("campaign", "No such campaign in this workspace.")
            return workspace, campaign
        if campaign is not None:
            return campaign.workspace, campaign
        only = list(workspaces[:2])
        if len(only) != 1:
            raise _invalid(
                "workspace", "Name the workspace (?workspace=) or ?campaign=."
            )
        return only[0], None

    def _text(self, request: Request) -> str:
        data: Any = request.data
        if "text" in data and isinstance(data["text"], bytes):
            raw = data["text"]
        elif upload := data.get("file"):
            if upload.size > IMPORT_MAX_BYTES:
                raise _too_big()
            raw = upload.read()
        else:
            raise _invalid(
                "file", "Send the CSV as the body (text/csv) or as a `file` field."
            )
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _invalid("file", "The file is not UTF-8 text.") from exc

    # Over 60 lines only with its OpenAPI description; the method is short.
    @extend_schema(
        tags=["posts"],
        summary="Import posts from CSV",
        description="Checks the whole file, then makes every row a draft post "
        "(origin `import`) in one transaction, or makes none. The campaign of "
        "each row is its `campaign` column or `?campaign=`; `?workspace=` is "
        "needed only when neither names it and the caller sees several "
        "workspaces. 10,000 rows go in one request. Columns: campaign, topic "
        "(required), angle, body, link, scheduled_at (ISO 8601 with offset, or "
        "local `YYYY-MM-DD HH:MM` in the campaign's zone; the skipped and the "
        "repeated DST hour are refused), accounts (ids or names separated by "
        "`|`; empty: the campaign's channels), pillar (a name), notes. Needs "
        "edit_content.",
        parameters=[
            RETRY_AFTER,
            OpenApiParameter(
                "campaign",
                OpenApiTypes.INT,
                description="Default campaign of rows without a campaign column.",
            ),
            OpenApiParameter("workspace", OpenApiTypes.STR, description=WORKSPACE_HELP),
        ],
        request={
            "text/csv": OpenApiTypes.STR,
            "multipart/form-data": ImportUploadSerializer,
        },
        responses={
            201: ImportResultSerializer,
            400: INVALID_400,
            **errors(403, 413, 415),
        },
        examples=[
            OpenApiExample(
                "Two rows", value=CSV_EXAMPLE, request_only=True, media_type="text/csv"
            ),
            OpenApiExample(
                "Made",
                value={"created": 2, "post_ids": [101, 102]},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        workspace, campaign = self._target(request)
        text = self._text(request)
        try:
            result = imports.posts_import(
                workspace=workspace,
                by=self.principal(),
                csv_text=text,
                campaign=campaign,
            )
        except imports.ImportInvalid as exc:
            noun = "problem" if exc.total == 1 else "problems"
            return error_response(
                "invalid",
                f"{exc.total} {noun} in the file; nothing was imported.",
                status.HTTP_400_BAD_REQUEST,
                {k: [str(m) for m in v] for k, v in exc.message_dict.items()},
                rows=exc.rows,
                error_count=exc.total,
            )
        return Response(
            {"created": result.created, "post_ids": result.post_ids},
            status=status.HTTP_201_CREATED,
        )
