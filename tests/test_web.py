from amal.participants.services import register_candidate


def test_home_shows_each_territory_and_counts(client, ctx) -> None:
    register_candidate(ctx, "lecco", first_name="Anna", last_name="Rossi")
    page = client.get("/").get_data(as_text=True)
    assert "Provincia di Monza e Brianza" in page
    assert "Lecco - Sportello di Valmadrera" in page
    assert '<th scope="row">candidate</th><td class="num">1</td>' in page


def test_health_check(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
