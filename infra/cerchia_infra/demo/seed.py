"""The seeded communities and their members: an Italian bread-baking circle and an English running club."""

from __future__ import annotations

from typing import Any

COMMUNITIES: dict[str, dict[str, str]] = {
    "it": {
        "name": "Lievito & Co.",
        "timezone": "Europe/Rome",
        "locale": "it",
        "leader_email": "marco.bianchi@lievito.example",
        "leader_name": "Marco Bianchi",
        "purpose": "Pochi, ma buoni: panificatori di casa che si scambiano ricette, dubbi e lievito madre.",
    },
    "en": {
        "name": "Trail Runners",
        "timezone": "Europe/London",
        "locale": "en",
        "leader_email": "sam.lee@trail.example",
        "leader_name": "Sam Lee",
        "purpose": "A small club of people who run off-road, plan weekend routes together and help newcomers start.",
    },
}

MEMBERS: dict[str, list[dict[str, Any]]] = {
    "it": [
        {"member_id": "it_giulia", "email": "giulia.rossi@lievito.example", "name": "Giulia Rossi", "locale": "it"},
        {"member_id": "it_luca", "email": "luca.ferri@lievito.example", "name": "Luca Ferri", "locale": "it"},
        {
            "member_id": "it_sara",
            "email": "sara.conti@lievito.example",
            "name": "Sara Conti",
            "locale": "it",
            "timezone": "Europe/Rome",
        },
        {"member_id": "it_anna", "email": "anna.moretti@lievito.example", "name": "Anna Moretti", "locale": "en"},
        {"member_id": "it_paolo", "email": "paolo.greco@lievito.example", "name": "Paolo Greco", "locale": "it"},
    ],
    "en": [
        {"member_id": "en_maya", "email": "maya.patel@trail.example", "name": "Maya Patel", "locale": "en"},
        {"member_id": "en_tom", "email": "tom.hughes@trail.example", "name": "Tom Hughes", "locale": "en"},
        {
            "member_id": "en_ines",
            "email": "ines.silva@trail.example",
            "name": "Inês Silva",
            "locale": "en",
            "timezone": "Europe/Lisbon",
        },
        {"member_id": "en_joe", "email": "joe.king@trail.example", "name": "Joe King", "locale": "en"},
    ],
}

POSTS: dict[str, list[dict[str, str]]] = {
    "it": [
        {
            "post_id": "it_p1",
            "author_id": "it_luca",
            "title": "La mia prima pagnotta con lievito madre",
            "url": "https://forum.lievito.example/t/1",
            "body": "Dopo tre tentativi finalmente una crosta croccante!",
        },
        {
            "post_id": "it_p2",
            "author_id": "it_sara",
            "title": "Farina di tipo 1 o integrale per il pane quotidiano?",
            "url": "https://forum.lievito.example/t/2",
            "body": "Voi cosa usate tutti i giorni, e perché?",
        },
    ],
    "en": [
        {
            "post_id": "en_p1",
            "author_id": "en_maya",
            "title": "Saturday loop around Kinder Scout - who's in?",
            "url": "https://club.trail.example/t/1",
            "body": "18 km, easy pace, coffee after.",
        },
        {
            "post_id": "en_p2",
            "author_id": "en_tom",
            "title": "Best shoes for muddy descents?",
            "url": "https://club.trail.example/t/2",
            "body": "My road shoes are hopeless in the wet.",
        },
    ],
}
