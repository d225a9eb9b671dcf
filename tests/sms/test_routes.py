"""ROUTES and ROUTE_KEYS read: numbers in any spelling, keywords without case or accents."""

from __future__ import annotations

from bot.sms.routes import keyword_of, read_route_keys, read_routes, receiving_number


def test_numbers_and_keywords_are_read_in_any_spelling() -> None:
    routes, problems = read_routes(" +48 500 100 200 = C0SALES , Serwis=C0SERVICE,, 500100300=C0SALES, 7015=C0SHORT1 ")
    assert problems == []
    assert routes.numbers == {"48500100200": "C0SALES", "48500100300": "C0SALES", "7015": "C0SHORT1"}
    assert routes.keywords == {"serwis": "C0SERVICE"}
    assert routes.channels == {"C0SALES", "C0SERVICE", "C0SHORT1"}


def test_the_keyword_comes_before_the_number_and_nothing_matches_otherwise() -> None:
    routes, _problems = read_routes("48500100200=C0SALES,SERWIS=C0SERVICE,Zażółć=C0POLISH")
    assert routes.channel_for(recipient="48500100200", text="Serwis: pralka") == "C0SERVICE"
    assert routes.channel_for(recipient="+48500100200", text="Pralka, serwis") == "C0SALES"
    assert routes.channel_for(recipient="500100200", text="") == "C0SALES"
    assert routes.channel_for(recipient="ZAZOLC", text="ZAŻÓŁĆ gęślą jaźń") == "C0POLISH"
    assert routes.channel_for(recipient="48664400100", text="Dzień dobry") is None
    assert routes.channel_for(recipient=None, text="   ") is None


def test_an_empty_setting_routes_nothing() -> None:
    routes, problems = read_routes(None)
    assert not routes and problems == []


def test_keywords_and_receiving_numbers() -> None:
    assert keyword_of("„Serwis”, proszę") == "serwis"
    assert keyword_of("ŁÓDŹ") == "lodz"
    assert keyword_of("") is None
    assert receiving_number("mProfi") is None
    assert receiving_number("0048 500-100-200") == "48500100200"


def test_route_keys_are_read_and_never_echoed() -> None:
    keys, problems = read_route_keys("C0SALES=k1, C0BRIDGE1=k2")
    assert keys == {"C0SALES": "k1", "C0BRIDGE1": "k2"} and problems == []
    keys, problems = read_route_keys("sekret-k3=C0SALES,sales=k4,C0SALES,C0SALES=k5,C0SALES=k6")
    assert keys == {"C0SALES": "k5"}
    assert problems == [
        "ROUTE_KEYS: entry 1 does not start with a channel ID; write it as C0ABC1234=<key>.",
        "ROUTE_KEYS: entry 2 does not start with a channel ID; write it as C0ABC1234=<key>.",
        "ROUTE_KEYS: entry 3 is not channel=key, such as C0SALES=<the mProfi sending key>.",
        "ROUTE_KEYS: C0SALES is given two keys; keep one.",
    ]
    assert not any(word in p for p in problems for word in ("sekret", "k4", "k5", "k6"))


def test_an_opt_out_or_opt_in_word_is_no_keyword() -> None:
    routes, problems = read_routes("Stop=C0SALES,START=C0SALES,SERWIS=C0SERVICE", reserved=frozenset({"stop", "start"}))
    assert routes.keywords == {"serwis": "C0SERVICE"}
    assert problems == [
        "ROUTES: Stop is an opt-out or opt-in word; a keyword route cannot use it.",
        "ROUTES: START is an opt-out or opt-in word; a keyword route cannot use it.",
    ]
