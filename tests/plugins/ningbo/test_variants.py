"""Mixing variants in one city, from the shipped tenant file on both backends:
Jiangbei (江北区) is kept on the generic procedure by an override, every
other district starts topics under Ningbo's, and 五个有 applies in both."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from core.procedures.generic import GENERIC, PROCEDURE_SETTING
from core.tenants.settings import resolve_setting
from plugins.ningbo.procedure import NINGBO
from tests.plugins.ningbo.helpers import (BEILUN, CHENGLANG, CITY, HAIWAN, JIANGBEI, api_for)

WAITAN = "330205001001"  # 外滩社区, 江北区


async def test_jiangbei_starts_under_generic_and_the_rest_under_ningbo(runtime, db, ningbo):
    assert await resolve_setting(db, runtime.plugins, WAITAN, PROCEDURE_SETTING) == "generic"
    assert await resolve_setting(db, runtime.plugins, HAIWAN, PROCEDURE_SETTING) == ""
    async with api_for(runtime, db) as api:
        jiangbei = await api.submit("jiangbei", WAITAN, "外滩社区停车难", channel="assigned")
        beilun = await api.submit("beilun", HAIWAN, "海湾社区停车难", channel="assigned")
        haishu = await api.submit("chair", CHENGLANG)
        assert (jiangbei["procedure"]["key"], jiangbei["step"]["key"]) == ("generic", "collect")
        assert (beilun["procedure"]["key"], beilun["step"]["key"]) == ("ningbo", "screen")
        assert haishu["procedure"]["key"] == "ningbo"

        for who, code, procedure in (("jiangbei", WAITAN, GENERIC), ("beilun", HAIWAN, NINGBO)):
            shown = await api.ok(await api.get(who, f"/regions/{code}/procedure"))
            assert (shown["procedure"]["key"], shown["complete"], shown["problems"]) == (procedure.key, True, [])
            svg = await api.get(who, f"/regions/{code}/procedure.svg")
            assert svg.headers["content-type"].startswith("image/svg+xml")
            texts = "".join(ET.fromstring(svg.text).itertext())
            assert all(step.title_zh in texts for step in procedure.steps)

            # 五个有 applies whichever procedure the district runs.
            body = await api.ok(await api.get(who, f"/regions/{code}/compliance"))
            [five] = [r for r in body["items"] if r["standard"] == "ningbo.five_haves"]
            flowchart = next(i for i in five["items"] if i["key"] == "flowchart")
            assert flowchart["met"] and procedure.title_zh in flowchart["detail_zh"]
            assert five["met"] == 1  # only the flowchart: nothing else is on file yet

        report = await api.ok(await api.get("city", f"/plugins/ningbo/regions/{CITY}/five-haves", page_size=1))
        counts = {d["code"]: d["communities"] for d in report["districts"]}
        assert counts[JIANGBEI] == 152 and counts[BEILUN] == 232
