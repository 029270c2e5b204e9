"""The endpoints the bench measures, the same paths on the product and on the floor."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.dataset import Meta

RESEARCH_BODY = {"note": "补充走访", "method": "site_visit",
                 "findings": "走访居民 12 户，意见已汇总。"}


@dataclass(frozen=True)
class Endpoint:
    key: str
    title: str
    method: str
    paths: tuple[str, ...]          # requests cycle through these
    who: str = "reader"             # reader, writer or public
    body: dict | None = None
    product: bool = True            # measured on the product too (False: a floor-only variant)
    note: str = ""

    @property
    def first(self) -> str:
        return self.paths[0]


def endpoints(meta: Meta) -> list[Endpoint]:
    board = f"/api/v1/public/regions/{meta.board_community}/notices"
    return [
        Endpoint("topic_detail", "topic detail", "GET",
                 tuple(f"/api/v1/topics/{i}" for i in meta.detail_topics),
                 note=f"{len(meta.detail_topics)} topics in turn, all steps, city-wide"),
        Endpoint("list_community", "topic list, community", "GET",
                 (f"/api/v1/regions/{meta.community}/topics",), note=meta.community),
        Endpoint("list_street", "topic list, street", "GET", (f"/api/v1/regions/{meta.street}/topics",),
                 note=meta.street),
        Endpoint("list_district", "topic list, district", "GET", (f"/api/v1/regions/{meta.district}/topics",),
                 note=meta.district),
        Endpoint("children_district", "region children, district", "GET",
                 (f"/api/v1/regions/{meta.district}/children",), note=meta.district),
        Endpoint("board_community", "public notice board, community", "GET", (board,), who="public",
                 note=meta.board_community),
        Endpoint("board_community_same_sql", "public notice board, floor with the product's query", "GET",
                 (board + "?same_sql=1",), who="public", product=False,
                 note="floor only: region_code = :c OR EXISTS (…), as the product filters"),
        Endpoint("stats_district", "stats, district", "GET", (f"/api/v1/regions/{meta.district}/stats",),
                 note=meta.district),
        Endpoint("stats_city", "stats, city", "GET", (f"/api/v1/regions/{meta.city}/stats",), note=meta.city),
        Endpoint("write_research", "write: record research", "POST",
                 tuple(f"/api/v1/topics/{i}/actions/record_research" for i in meta.write_topics),
                 who="writer", body=RESEARCH_BODY,
                 note=f"{len(meta.write_topics)} research-step topics of the writer's community in turn"),
    ]


def write_request_files(endpoint: Endpoint, folder: Path) -> tuple[Path, Path | None]:
    """The paths (one a line) and the body file wrk's script reads."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / f"{endpoint.key}.paths"
    paths.write_text("\n".join(endpoint.paths) + "\n")
    body = None
    if endpoint.body is not None:
        body = folder / f"{endpoint.key}.json"
        body.write_text(json.dumps(endpoint.body, ensure_ascii=False))
    return paths, body
