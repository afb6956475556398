"""owns: docker-style random container names ("adjective_surname"), and name validation."""

from __future__ import annotations

import os

from scow.errors import InvalidArgument

_ADJECTIVES = (
    "admiring", "adoring", "agitated", "amazing", "angry", "awesome", "beautiful", "blissful",
    "bold", "boring", "brave", "busy", "charming", "clever", "compassionate", "competent",
    "confident", "cool", "cranky", "crazy", "dazzling", "determined", "distracted", "dreamy",
    "eager", "ecstatic", "elastic", "elated", "elegant", "eloquent", "epic", "exciting",
    "fervent", "festive", "flamboyant", "focused", "friendly", "frosty", "funny", "gallant",
    "gifted", "goofy", "gracious", "great", "happy", "hardcore", "heuristic", "hopeful",
    "hungry", "infallible", "inspiring", "intelligent", "interesting", "jolly", "jovial",
    "keen", "kind", "laughing", "loving", "lucid", "magical", "modest", "musing", "mystifying",
    "naughty", "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic", "peaceful",
    "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical", "relaxed",
    "reverent", "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic", "strange",
    "stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled",
    "upbeat", "vibrant", "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial",
    "youthful", "zealous", "zen",
)
_SURNAMES = (
    "albattani", "allen", "almeida", "archimedes", "ardinghelli", "babbage", "banach",
    "bardeen", "bartik", "bassi", "bell", "benz", "bhabha", "blackwell", "bohr", "booth",
    "borg", "bose", "brahmagupta", "brattain", "brown", "carson", "chandrasekhar", "curie",
    "darwin", "davinci", "dijkstra", "dirac", "edison", "einstein", "elion", "euclid",
    "euler", "faraday", "fermat", "fermi", "feynman", "franklin", "galileo", "gauss",
    "goldberg", "goodall", "hamilton", "hawking", "heisenberg", "hertz", "hodgkin", "hopper",
    "hypatia", "jackson", "jennings", "johnson", "kalam", "keller", "kepler", "khorana",
    "knuth", "lamarr", "lamport", "leakey", "lovelace", "lumiere", "mahavira", "mayer",
    "mccarthy", "mcclintock", "meitner", "mendel", "mirzakhani", "morse", "newton", "nobel",
    "noether", "pascal", "pasteur", "payne", "perlman", "pike", "poincare", "ptolemy",
    "raman", "ramanujan", "ride", "ritchie", "rosalind", "sammet", "shannon", "shockley",
    "sinoussi", "stonebraker", "swanson", "tesla", "thompson", "torvalds", "turing",
    "varahamihira", "visvesvaraya", "wescoff", "wiles", "williams", "wilson", "wozniak",
    "wright", "yalow", "yonath",
)
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_NAME_CHARS = _ALNUM | frozenset("_.-")  # docker's /?[a-zA-Z0-9][a-zA-Z0-9_.-]+


def _pick(n: int) -> int:
    """A random index below `n` from os.urandom (the `random` module costs start-up)."""
    return int.from_bytes(os.urandom(4), "big") % n


def random_name(retry: int = 0) -> str:
    name = f"{_ADJECTIVES[_pick(len(_ADJECTIVES))]}_{_SURNAMES[_pick(len(_SURNAMES))]}"
    if name == "boring_wozniak":  # "Steve Wozniak is not boring" (moby's namesgenerator)
        return random_name(retry)
    return f"{name}{_pick(10)}" if retry else name


def validate_name(name: str) -> str:
    bare = name[1:] if name.startswith("/") else name
    if len(bare) < 2 or bare[0] not in _ALNUM or not _NAME_CHARS.issuperset(bare):
        raise InvalidArgument(f'Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] '
                              "are allowed")
    return name.removeprefix("/")
