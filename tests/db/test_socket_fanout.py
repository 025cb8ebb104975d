"""A ban or a kick closes the player's sockets on every replica ("Enforcing bans and kicks" in
the contract): the reference gateway publishes the contract's `player_disconnect` message with
PostgreSQL's NOTIFY, and each replica closes the simulated sockets it holds. Two real gateway
processes on one database (the fixture of test_replicas.py); every wait polls under a
deadline."""

from __future__ import annotations

from test_replicas import Replica, replicas, wait_for  # noqa: F401 - the fixture
from reference_gateway import http


def offline_player(replica: Replica, token: str) -> str:
    status, page = replica.call(token, "GET", "/admin/players?online=false&limit=1")
    assert status == 200 and page["items"], page
    return page["items"][0]["id"]


def connect(replica: Replica, player: str) -> dict:
    status, session = http("POST", f"{replica.api}/__dev/players/{player}/sessions")
    assert status == 201, session
    return session


def sessions(replica: Replica, player: str) -> list[dict]:
    status, body = http("GET", f"{replica.api}/__dev/players/{player}/sessions")
    assert status == 200, body
    return body["items"]


def closes(replica: Replica, player: str) -> list[tuple[int, str] | None]:
    return [s["closed"] and (s["closed"]["code"], s["closed"]["reason"]) for s in sessions(replica, player)]


def online(replica: Replica, token: str, player: str) -> bool:
    status, body = replica.call(token, "GET", f"/admin/players/{player}")
    assert status == 200, body
    return body["online"]


def listeners(server, db) -> set[int]:
    """The backends of the replicas' listening connections."""
    with server.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                               "AND query = 'LISTEN galaxy_player_sessions'", (db,))}


def test_a_ban_through_one_replica_closes_the_sockets_another_holds(replicas):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    player = offline_player(a, token_a)
    connect(b, player)
    connect(b, player)
    # Connected through one replica: online for the other at once.
    wait_for(lambda: online(a, token_a, player), "the other replica sees the player online")
    status, body = a.call(token_a, "POST", f"/admin/players/{player}/ban", {"reason": "cheating", "duration_seconds": 600})
    assert status == 200, body
    wait_for(lambda: closes(b, player) == [(4003, "banned: cheating")] * 2, "the sockets on the other replica closed")
    assert not online(b, token_b, player)
    # A new connect through either is refused while the ban holds.
    for replica in (a, b):
        status, refused = http("POST", f"{replica.api}/__dev/players/{player}/sessions")
        assert status == 403 and refused["code"] == "player_banned", refused


def test_a_kick_through_one_replica_of_a_player_connected_to_another_closes_its_socket(replicas):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    player = offline_player(a, token_a)
    status, refused = a.call(token_a, "POST", f"/admin/players/{player}/kick")
    assert status == 409 and refused["code"] == "not_online", refused
    connect(b, player)
    wait_for(lambda: online(a, token_a, player), "the other replica sees the player online")
    status, body = a.call(token_a, "POST", f"/admin/players/{player}/kick", {"reason": "afk"})
    assert status == 200, body
    wait_for(lambda: closes(b, player) == [(4001, "kicked: afk")], "the socket on the other replica closed")
    wait_for(lambda: not online(b, token_b, player), "offline for the replica that held the socket")
    # A kick is no ban: the player connects again.
    connect(a, player)
    wait_for(lambda: online(b, token_b, player), "online again for both")


def test_the_fan_out_survives_a_lost_listening_connection_and_ignores_foreign_messages(replicas, server, db):
    a, b = replicas
    token_a, token_b = a.login(), b.login()
    player = offline_player(a, token_a)
    before = listeners(server, db)
    assert len(before) == 2, before
    with server.connect(db) as conn:
        conn.execute("SELECT pg_notify('galaxy_player_sessions', 'not an event')")
        conn.execute("SELECT pg_notify('galaxy_player_sessions', '{\"type\": \"shutdown\"}')")
    # Sent after them on the same channel, so delivered after them: the listeners went past
    # both foreign messages and still apply events.
    connect(b, player)
    wait_for(lambda: online(a, token_a, player), "events flow past foreign messages")
    with server.connect(db) as conn:
        # Both replicas lose their listening connection, as when PostgreSQL restarts.
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                     "AND query = 'LISTEN galaxy_player_sessions'", (db,))
    wait_for(lambda: len(listeners(server, db) - before) == 2, "both replicas listen again, on new connections")
    status, body = a.call(token_a, "POST", f"/admin/players/{player}/ban", {"reason": "spam", "duration_seconds": 600})
    assert status == 200, body
    wait_for(lambda: closes(b, player) == [(4003, "banned: spam")], "the socket on the other replica closed")
    wait_for(lambda: not online(b, token_b, player), "offline for the replica that held the socket")
