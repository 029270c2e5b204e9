import re

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from core.auth.guard import authorization_guard, check_every_route_declares_access, is_public
from core.errors import EXCEPTION_HANDLERS
from tests.auth_helpers import app_client
from tests.helpers import SMALL_TREE, add_regions

PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")
SAMPLE = {"code": "330203001"}


def _public_operations(app: Litestar) -> set[tuple[str, str]]:
    public = set()
    for route in app.routes:
        template = PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)
        for handler in getattr(route, "route_handlers", ()):
            if is_public(app, handler):
                public.update((template, method) for method in handler.http_methods)
    return public


async def test_every_operation_in_the_schema_refuses_anonymous_callers(runtime, db):
    await add_regions(db, *SMALL_TREE)
    async with app_client(runtime) as client:
        schema = await client.get("/schema/openapi.json")
        assert schema.status_code == 200
        public = _public_operations(client.app)
        checked = 0
        for path, operations in schema.json()["paths"].items():
            url = PARAM.sub(lambda m: SAMPLE.get(m.group(1), "1"), path)
            for method in operations:
                if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                    continue
                response = await client.request(method.upper(), url, json={})
                if (path, method.upper()) in public:
                    assert response.status_code != 401, (method, path)
                    continue
                assert response.status_code == 401, (method, path, response.status_code, response.text)
                assert response.json()["error"]["code"] == "unauthorized"
                checked += 1
        # The API's own routes are in the document, so the loop really ran.
        assert checked >= 5
        assert ("/api/v1/auth/login", "POST") in public


def test_an_app_with_an_undeclared_route_is_refused():
    @get("/forgotten", sync_to_thread=False)
    def forgotten() -> str:
        return "oops"

    @get("/declared", opt={"public": True}, sync_to_thread=False)
    def declared() -> str:
        return "fine"

    with pytest.raises(RuntimeError, match="forgotten"):
        check_every_route_declares_access(Litestar(route_handlers=[forgotten, declared]))
    check_every_route_declares_access(Litestar(route_handlers=[declared]))


async def test_the_guard_itself_denies_an_undeclared_route():
    # Even an app that skipped the build-time check does not serve the route.
    @get("/forgotten", sync_to_thread=False)
    def forgotten() -> str:
        return "oops"

    app = Litestar(route_handlers=[forgotten], guards=[authorization_guard], exception_handlers=EXCEPTION_HANDLERS)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/forgotten")
        assert response.status_code == 403
        assert response.json()["error"]["message_en"]
