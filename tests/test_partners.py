"""The partners directory: seeded from the plugin's data file, then kept by the
coordinators; later plugin updates add new partners and never undo edits."""

from __future__ import annotations

from sqlalchemy import select

from amal.app import create_app
from amal.plugins import PartnerDefinition, PartnerRole, RepresentativeDefinition, hookimpl
from amal.plugins.data import load_partners
from amal.runtime import state
from amal.services import Context
from amal.territories.models import Partner
from amal.territories.services import (
    add_representative,
    directory,
    sync_territories,
    update_partner,
)
from amal.testing import csrf_token


class UpdatedData:
    """The Lecco plugin's data file after an update: one partner more."""

    @hookimpl
    def amal_partners(self, territory):  # type: ignore[no-untyped-def]
        if territory.code != "lecco":
            return None
        return [
            PartnerDefinition(
                "CGIL Lecco",
                PartnerRole.TRADE_UNION,
                services_offered="Consulenza sui diritti dei lavoratori",
                representatives=(RepresentativeDefinition("Paolo Riva", "segretario"),),
            ),
            # also listed by the plugin's own file: must not come back twice
            PartnerDefinition("Consorzio Mestieri", PartnerRole.EMPLOYMENT_OPERATOR),
        ]


def test_plugin_updates_add_new_partners_and_keep_edits(app, ctx: Context) -> None:
    mestieri = next(p for p in directory(ctx, "lecco") if p.name == "Consorzio Mestieri")
    assert mestieri.plugin_key == "Consorzio Mestieri"
    update_partner(
        ctx, "lecco", mestieri.id, name="Consorzio Mestieri Lombardia", phone="0341 111111"
    )
    add_representative(ctx, "lecco", mestieri.id, name="Sara Conti", position="referente")
    before = {p.name for p in directory(ctx, "lecco")}

    config = state(app).config
    updated = create_app(
        config.instance_path,
        config_overrides={
            "environment": "testing",
            "database_url": config.database_url,
            "plugins": list(config.plugins),
            "secret_key": "x",
        },
        extra_plugins=[("lecco-update", UpdatedData())],
    )
    with state(updated).session_factory() as session:
        sync_territories(session, state(updated).plugins)
        sync_territories(session, state(updated).plugins)  # twice: nothing more
    state(updated).engine.dispose()

    ctx.session.expire_all()
    after = {p.name: p for p in directory(ctx, "lecco")}
    assert set(after) == before | {"CGIL Lecco"}
    kept = after["Consorzio Mestieri Lombardia"]
    assert kept.phone == "0341 111111" and [r.name for r in kept.representatives] == ["Sara Conti"]
    assert [(r.name, r.position) for r in after["CGIL Lecco"].representatives] == [
        ("Paolo Riva", "segretario")
    ]
    assert {p.territory_code for p in ctx.session.scalars(select(Partner))} == {
        "lecco",
        "monza-brianza",
    }


def test_data_file_with_contacts_and_representatives(tmp_path) -> None:
    data = tmp_path / "partners.toml"
    data.write_text(
        """
[[partner]]
name = "AFOL Monza Brianza"
role = "employment_operator"
email = "info@example.org"
services_offered = "Orientamento, GOL"

[[partner.representative]]
name = "Anna Neri"
position = "referente"
""",
        encoding="utf-8",
    )
    [partner] = load_partners(data)
    assert partner.email == "info@example.org" and partner.services_offered == "Orientamento, GOL"
    assert partner.representatives == (RepresentativeDefinition("Anna Neri", "referente"),)


def test_coordinator_adds_and_edits_partners(app, client, login, ctx: Context) -> None:
    login("coordinator", "monza-brianza")
    token = csrf_token(client, "/t/monza-brianza/partners/new")
    response = client.post(
        "/t/monza-brianza/partners/new",
        data={
            "name": "CISL Monza Brianza Lecco",
            "role": "trade_union",
            "services_offered": "Sportello lavoro",
            "email": "sportello@example.org",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    cisl = ctx.session.scalar(select(Partner).where(Partner.name == "CISL Monza Brianza Lecco"))
    assert cisl.plugin_key is None and cisl.updated_by.startswith("coordinator")
    duplicate = client.post(
        f"/t/monza-brianza/partners/{cisl.id}/edit",
        data={
            "name": directory(ctx, "monza-brianza")[0].name,
            "role": "trade_union",
            "csrf_token": token,
        },
    ).get_data(as_text=True)
    assert "Esiste già un partner con questo nome." in duplicate
    client.post(
        f"/t/monza-brianza/partners/{cisl.id}/representatives",
        data={"name": "Giorgio Villa", "position": "operatore", "csrf_token": token},
    )
    page = client.get("/t/monza-brianza/partners/").get_data(as_text=True)
    assert "CISL Monza Brianza Lecco" in page and "sindacato" in page
    assert "Giorgio Villa, operatore" in page and "Sportello lavoro" in page

    login("facilitator", "monza-brianza")
    page = client.get("/t/monza-brianza/partners/").get_data(as_text=True)
    assert "Giorgio Villa" in page and "Aggiungi un partner" not in page
    refused = client.post(
        f"/t/monza-brianza/partners/{cisl.id}/edit",
        data={"name": "X", "role": "partner", "csrf_token": csrf_token(client)},
    )
    assert refused.status_code == 403
