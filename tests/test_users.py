import pytest
from sqlalchemy import func, select

from core.auth.passwords import verify_password
from core.auth.users import create_user, grant_role, revoke_role
from core.errors import ApiError
from core.models import RoleGrant, User
from tests.helpers import SMALL_TREE, add_regions


async def test_create_user_hashes_password_and_refuses_duplicates(db):
    user = await create_user(db, "ningbo_admin", "s3cret-pass")
    await db.commit()
    assert user.password_hash != "s3cret-pass"
    assert verify_password(user.password_hash, "s3cret-pass")
    with pytest.raises(ApiError) as err:
        await create_user(db, "ningbo_admin", "another-pass")
    assert err.value.status_code == 400
    assert err.value.fields[0].field == "username"
    assert "已被使用" in err.value.fields[0].message_zh
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(User)) == 1


async def test_grant_checks_role_level_and_region_existence(db):
    await add_regions(db, *SMALL_TREE)
    user = await create_user(db, "someone", "s3cret-pass")
    with pytest.raises(ApiError) as wrong_level:
        await grant_role(db, user, "city_admin", "330203")
    assert "city" in wrong_level.value.fields[0].message_en
    with pytest.raises(ApiError) as unknown:
        await grant_role(db, user, "street_staff", "330299001")
    assert "does not exist" in unknown.value.fields[0].message_en
    with pytest.raises(ApiError):
        await grant_role(db, user, "no_such_role", "3302")
    await grant_role(db, user, "district_admin", "330203")
    await grant_role(db, user, "district_admin", "330203")  # repeat is a no-op
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(RoleGrant)) == 1
    assert await revoke_role(db, user, "district_admin", "330203")
    assert not await revoke_role(db, user, "district_admin", "330203")


async def test_grants_and_revokes_are_in_the_audit_trail(db):
    from core.audit.service import verify
    from core.models.audit import AuditEntry

    await add_regions(db, *SMALL_TREE)
    user = await create_user(db, "auditee", "s3cret-pass")
    await grant_role(db, user, "street_staff", "330203001", actor="cli")
    await grant_role(db, user, "street_staff", "330203001", actor="cli")  # no-op, no entry
    await revoke_role(db, user, "street_staff", "330203001", actor="cli")
    await db.commit()
    entries = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [e.action for e in entries] == ["role.grant", "role.revoke"]
    assert entries[0].after["role"] == "street_staff" and entries[0].region_code == "330203001"
    assert entries[1].before["username"] == "auditee" and entries[1].after is None
    assert (await verify(db)).ok


async def test_who_may_unlock_an_account(db):
    from core.auth.service import principal_of
    from core.auth.users import may_unlock
    from core.authz.enforcer import Authorizer

    await add_regions(db, *SMALL_TREE)

    async def user(name, *grants):
        made = await create_user(db, name, "s3cret-pass")
        for role, code in grants:
            await grant_role(db, made, role, code)
        await db.flush()
        await db.refresh(made, ["grants"])
        return made

    root = await user("root", ("platform_admin", None))
    ningbo = await user("ningbo_admin", ("city_admin", "3302"))
    street = await user("street", ("street_staff", "330203001"))
    local = await user("local", ("council_member", "330203001001"), ("resident", "330205001001"))
    both_cities = await user("both", ("council_member", "330203001001"), ("council_member", "620502001001"))
    no_grants = await user("nobody_much")
    authorizer = Authorizer()
    await authorizer.load(db)

    def may(actor, target):
        return may_unlock(authorizer, principal_of(actor), target)

    assert all(may(root, target) for target in (ningbo, local, both_cities, no_grants))
    assert may(ningbo, local) and may(ningbo, street)
    # One grant outside the city, no grant at all, or a platform admin: beyond a city admin.
    assert not may(ningbo, both_cities)
    assert not may(ningbo, no_grants)
    assert not may(ningbo, root)
    assert not may(street, local)
