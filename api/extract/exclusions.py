"""Numbers that count people but not a North Korean workforce there now, told by the words around them.

Each rule here was written down from constructions in published reports that a worker noun alone does not
tell apart: groups still to come, totals over many countries, people sent home, the other nationalities
listed beside the North Koreans, members of a team already counted, people in a photograph, and the
whole workforce of a site ('employs about 1,100 people in all').
"""

import re

from api.extract.gazetteer import find_countries
from api.extract.numbers import HEDGES, NUMBER
from api.extract.sentences import Span

# A group still to come: 'plans to employ 2,000', 'hopes to bring in 60 more', 'expects another 500'.
_FUTURE_BEFORE = re.compile(
    r"\b(?:will|would|shall|plans?\s+to|planned\s+to|planning\s+to|hopes?\s+to|hoping\s+to|seeks?|seeking"
    r"|wants?(?:\s+to)?|wanted\s+to|intends?\s+to|aims?\s+to|expects?|is\s+to|are\s+to|to\s+be\s+(?:sent|brought|hired)"
    r"|agreed\s+to|deal\s+to|to\s+allow|to\s+let|to\s+attract|quotas?\s+(?:of|for)"
    # Workers still wanted: 'The region needs 2,000 builders', 'lacks an estimated 4,500'.
    r"|needs?|lacks?|requires?|(?:is|are|was|were)\s+short\s+of|in\s+need\s+of"
    r"|(?:could|might|may|can)\s+(?:take|accept|hire|employ|receive|host|admit|bring\s+in))"
    r"\s+(?:[\w-]+\s+){0,2}?(?:another\s+|a\s+further\s+|up\s+to\s+)?$",
    re.IGNORECASE,
)
# ... 'a second group of 25 is expected in the spring', 'another 150 are to come', 'a further 20 are due'.
# Words of leaving after the verb ('the remaining 130 are expected to leave') say the group is there now.
_FUTURE_AFTER = re.compile(
    r"^(?:\s+more)?(?:,?\s+(?!(?:who|which|that|where)\b)[\w-]+){0,5}?\s+(?:(?:will|would|could|may|might)\s+"
    r"(?:soon\s+|probably\s+|likely\s+|also\s+|then\s+)?"
    r"(?:arrive|come|join|follow|be\s+(?:sent|hired|brought|deployed|dispatched|recruited|employed|needed|required)"
    # ... and the work of a group still to come: '5,000 construction workers would rebuild infrastructure'
    r"|rebuild|build|help|clear|assist|repair|restore|construct|start|begin|travel|take\s+part)"
    r"|(?:is|are)\s+(?:due|expected|set|scheduled|to)|(?:was|were)\s+to\s+(?:be|have|arrive|come|join|follow|start|begin)"
    r"|to\s+(?:arrive|come|be\s+sent))\b"
    r"(?!\s+(?:to\s+)?(?:leave|depart|return|go\s+home|be\s+sent\s+(?:home|back)|be\s+repatriated))",
    re.IGNORECASE,
)
# Words of a departure told just before a count (how far back: about two sentences).
_DEPARTED = re.compile(
    r"\b(?:sent\s+(?:home|back)|repatriated|deported|left|went\s+home|gone\s+home|flown\s+home|recalled)\b",
    re.IGNORECASE,
)
_DEPARTURE_LOOK_BACK = 200
# A total over many countries: 'some 100,000 workers in about 40 countries', 'across the globe', and
# 'Across the Gulf, some 5,000 ...', 'up to 1,000 in the European Union' (a region of several countries).
_SEVERAL_COUNTRIES = (
    r"(?:the\s+)?(?:Gulf|Persian\s+Gulf|Gulf\s+states|Middle\s+East|Arab\s+world|European\s+Union|EU|Europe"
    r"|Africa|Asia|South-?\s?East\s+Asia|Central\s+Asia|Latin\s+America)\b"
)
_SEVERAL_COUNTRIES_BEFORE = re.compile(
    rf"\b(?:in|across|throughout|around)\s+{_SEVERAL_COUNTRIES}[^.;]{{0,20}}$", re.IGNORECASE
)
_SEVERAL_COUNTRIES_AFTER = re.compile(
    rf"^[^.;,]{{0,40}}?\b(?:in|across|throughout|around)\s+{_SEVERAL_COUNTRIES}", re.IGNORECASE
)
# ... unless the count is placed in one country after it: 'Sources who follow business in the Gulf estimate
# that around 1,300 North Koreans are working across the Emirates'.
_ONE_COUNTRY_AFTER = re.compile(
    rf"^[^.;,]{{0,40}}?\b(?:in|across|throughout)\s+(?!{_SEVERAL_COUNTRIES})(?:the\s+)?(?-i:[A-Z])",
    re.IGNORECASE,
)
_MANY_COUNTRIES_AFTER = re.compile(
    rf"^[^.;]{{0,40}}?\b(?:in|across|to)\s+(?:(?:{HEDGES})\s+)?(?:{NUMBER}|dozens\s+of|several|many|other|foreign)"
    r"\s+(?:other\s+)?(?:countries|nations|states)\b|^[^.;]{0,40}?\b(?:around|across|all\s+over)\s+the\s+"
    r"(?:globe|world)\b",
    re.IGNORECASE,
)
# People sent away, the verb before them: 'a contractor sent home 90 North Korean workers'.
_GONE_BEFORE = re.compile(
    rf"\b(?:(?:send|sends|sending|sent)\s+(?:home|back)|repatriat(?:es?|ed|ing)|deport(?:s|ed|ing)?"
    rf"|expel(?:s|led|ling)?|dismiss(?:es|ed|ing)?|fire[sd]|firing|sack(?:s|ed|ing)|(?:lays?|laid|laying)\s+off"
    rf"|evacuat(?:es?|ed|ing)|withdr(?:ew|aws?|awing)|recall(?:s|ed|ing)"
    rf"|terminat(?:es?|ed|ing)\s+(?:the\s+)?contracts?\s+(?:with|of)"
    rf"|detained|arrested|jailed|charged|indicted|convicted|fined|questioned|interrogated"
    # Visas refused: 'denied visa extensions for 40 North Korean workers', 'refused visas for 12 cooks'.
    rf"|(?:refused|denied|rejected|declined)\s+(?:[\w-]+\s+){{0,3}}?(?:for|to))"
    rf"\s+(?:(?:its|their|the|all)\s+)?(?:remaining\s+)?(?:(?:{HEDGES})\s+)?$",
    re.IGNORECASE,
)
# ... and after them: 'About 150 North Koreans have left Angola'.
_LEFT_AFTER = re.compile(r"^[^.;]{0,30}?\b(?:have|has|had)\s+(?:already\s+)?left\b", re.IGNORECASE)
# 'Besides the 47 North Koreans, ... came from Ukraine (58)': the figures after it are of others.
_BESIDES = re.compile(
    r"\b(?:besides|apart\s+from|aside\s+from|other\s+than|in\s+addition\s+to)\s+(?:the\s+)?"
    r"(?:[\w,]+\s+){0,2}?North\s+Koreans?\b",
    re.IGNORECASE,
)
# A nationality or a firm right after the number: 'employs 2,000 Egyptians', 'and 1,400 Indians'.
_NAMED_NOUN_AFTER = re.compile(r"^[ \t]+(?!(?:North|Korean|Koreans|DPRK|IT)\b)[A-Z][a-z]")
# Members of a group already counted: 'The team includes a surgeon, two anaesthetists and 12 nurses'.
_MEMBERS_LIST = re.compile(
    r"\b(?:includes?|included|including|among\s+them|among\s+whom|consisting\s+of|made\s+up\s+of)\b[^.;]*"
    r"(?:,|\band\b)[^.;]*$",
    re.IGNORECASE,
)
# ... and the first item right after the verb, in a sentence that has counted the group already: 'The
# 24-member team, which includes nine nurses, three surgeons and an anaesthetist'.
_MEMBERS_NEXT = re.compile(
    r"\b(?:team|crew|brigade|group|delegation|contingent|staff|mission)\b[^.;]*\b(?:includes?|included|including"
    r"|consists\s+of|consisting\s+of)\s+$",
    re.IGNORECASE,
)
# ... unless each item is placed: 'including 2,200 in Kuwait, as many as 1,300 in the UAE and 1,500 in Qatar'.
_PLACED_AFTER = re.compile(r"^\s+(?:in|at)\s+(?:the\s+)?[A-Z]")
# A shortage is of workers still wanted, of every nation: 'estimates the shortage at 12,000 workers'; and
# 'workers of all trades' are everyone on a site.
_SHORTAGE_BEFORE = re.compile(r"\b(?:shortages?|shortfall|deficit|gap)\b[^.;]{0,30}$", re.IGNORECASE)
_ALL_TRADES_AFTER = re.compile(
    r"^\s+(?:[\w-]+\s+)?of\s+(?:all|every|other)\s+(?:trades|kinds|professions|nationalities|origins)\b",
    re.IGNORECASE,
)
# Entries over a year, counted by the border guards: '5,100 North Koreans entered the region last year'.
# (A group that crossed on given days, 'Buses carrying 500 workers crossed into Hunchun', is a workforce.)
_ENTERED_AFTER = re.compile(
    r"^[^.;]{0,30}?\b(?:entered|entries)\b[^.;]{0,40}?\b(?:last|this|a|per|each|the\s+previous)\s+year\b"
    r"|^[^.;]{0,30}?\b(?:entered|entries|arrived|arrivals)\b[^.;]{0,40}?\bin\s+a\s+(?:single|given|whole)\s+year\b"
    r"|^[^.;]{0,30}?\b(?:entered|entries)\b[^.;]{0,40}?\bin\s+(?:19|20)\d\d\b",
    re.IGNORECASE,
)
# Visitors counted by the purpose of their trip: 'Fewer than 60 North Koreans came as tourists'.
_VISITORS_AFTER = re.compile(
    r"^\s+(?:[\w-]+\s+){0,2}?(?:came|come|arrived|arrive|entered|enter|travell?ed|visited)\s+(?:\w+\s+)?as\s+"
    r"(?:tourists|students|visitors|guests|delegates|athletes|pilgrims)\b",
    re.IGNORECASE,
)
# A count added up over years, in the present perfect: 'Over the past decade some 9,000 North Koreans have
# worked in the region', 'some 20,000 have passed through the camps over twenty years'.
_OVER_YEARS = re.compile(
    r"\b(?:over|in|during|across|for)\s+the\s+(?:past|last|previous)\s+(?:[\w-]+\s+)?(?:decades?|years|century)\b"
    r"|\bat\s+one\s+time\s+or\s+another\b|\bover\s+the\s+years\b",
    re.IGNORECASE,
)
_PERFECT_AFTER = re.compile(
    r"^[^.;]{0,40}?\b(?:have|has)\s+(?:\w+\s+)?(?:worked|passed|been|served|come)\b", re.IGNORECASE
)
# People at an event rather than at work: 'Fewer than five workers were at the scene'.
_AT_THE_SCENE = re.compile(r"^[^.;]{0,30}?\b(?:at|on)\s+the\s+scene\b", re.IGNORECASE)
# Where some of a group already counted live: 'Two score of them live in a hostel'.
_HOUSED = re.compile(
    r"^\s+of\s+(?:them|those|these)\s+(?:still\s+)?(?:live|lived|living|stay|stayed|sleep|slept|are\s+housed"
    r"|were\s+housed)\b",
    re.IGNORECASE,
)
# The part of a workforce in one trade, the place the same: 'with 4,000 of them working in construction'.
_IN_A_TRADE = re.compile(
    r"^\s+of\s+(?:them|those|these)\s+(?:(?:are|were)\s+)?(?:working|employed|work|engaged)\s+(?:in|as)\s+"
    r"(?!the\s+(?-i:[A-Z]))(?-i:[a-z])",
    re.IGNORECASE,
)
# Some of a crew on one floor or in one room of the site: 'there were four of them working on that floor'.
# (Only 'N of them': 'twelve seamstresses work in a room behind the market' is the whole workshop.)
_PART_OF_SITE = re.compile(
    r"^\s+of\s+(?:them|us|those|these)\b[^.;]{0,30}?\b(?:on|in)\s+(?:that|this|the|one|each|every)\s+"
    r"(?:[\w-]+\s+)?(?:floor|storey|story|level|balcony|deck|room|corridor|stairwell)\b",
    re.IGNORECASE,
)
# People harmed or who spoke to the reporter: 'Five of the workers were injured', 'Six of them told us'.
_HARMED_OR_SPOKE = re.compile(
    r"^[^.;,]{0,30}?\b(?:were|was|have\s+been|had\s+been|got)\s+(?:\w+\s+)?(?:injured|hurt|wounded"
    r"|hospitali[sz]ed|burned|burnt|poisoned|beaten|punished)\b|^\s+(?:(?:have|had)\s+)?(?:told|spoke)\b",
    re.IGNORECASE,
)
# People in a picture: 'A photograph seen by the radio shows 20 North Korean women'.
_PICTURED = re.compile(
    r"\b(?:photo\w*|pictures?|images?|videos?|footage)\b[^.;]{0,60}?\b(?:show\w*|depict\w*)\b[^.;]*$",
    re.IGNORECASE,
)
# ... and 'All told, the plant employs 240 people', unless the count is of North Koreans.
_TOTAL_BEFORE = re.compile(
    r"\b(?:all\s+told|in\s+all|in\s+total|altogether|overall)\b[^.;]{0,40}$", re.IGNORECASE
)
_KOREANS_NEXT = re.compile(r"^\s+(?:[\w-]+\s+){0,2}?(?:North\s+Korean|Korean|DPRK)", re.IGNORECASE)
# The whole workforce of a site, of every nationality: 'employs about 1,100 people in all'.
_TOTAL_AFTER = re.compile(
    r"^\s+(?:people|staff|employees|workers|hands)\s+(?:in\s+all|in\s+total|altogether|all\s+told|overall)\b",
    re.IGNORECASE,
)

# How the people of a site are housed, room by room: 'eight of the welders share each room'.
_PER_ROOM = re.compile(
    r"^[^.;]{0,40}?\b(?:each|every|per)\s+(?:[\w-]+\s+)?(?:room|cabin|tent|container|bunk|bed)\b",
    re.IGNORECASE,
)
# People who speak to the reporter or an auditor: '12 workers said they had not left the compound'.
_SAID_AFTER = re.compile(
    r"^\s+(?:(?:have|had|also)\s+)?(?:said|say|says|told|complained|recalled|described|testified|reported|interviewed)\b",
    re.IGNORECASE,
)
# People counted over many years as they came and went: 'about 500 women passed through the two towns'.
_PASSED_THROUGH_AFTER = re.compile(
    r"^[^.;]{0,40}?\b(?:passed|pass|have\s+passed|had\s+passed|rotated|cycled)\s+through\b", re.IGNORECASE
)
# People who escaped and reached the South: 'about 10 North Koreans who worked in Russia reached the South'.
_REACHED_SOUTH_AFTER = re.compile(
    r"^[^.;]{0,60}?\b(?:reached|made\s+it\s+to|resettled\s+in|defected\s+to|arrived\s+in|fled\s+to)\s+"
    r"(?:the\s+South\b|South\s+Korea\b|Seoul\b)",
    re.IGNORECASE,
)
# A sentence that says its count is not of workers: 'registered 410 but could not say how many work'.
_HOW_MANY_UNKNOWN = re.compile(
    r"\b(?:could\s+not|couldn\W?t|cannot|can\W?t|did\s+not|didn\W?t|does\s+not|doesn\W?t|would\s+not)\s+"
    r"(?:say|tell|know|confirm|establish|determine)\s+how\s+many\b",
    re.IGNORECASE,
)
# The rest of a workforce, of another nation: 'The other 350 employees are local Chinese'.
_ARE_OTHERS_AFTER = re.compile(
    r"^\s+(?:[\w-]+\s+)?(?:are|were)\s+(?:all\s+|mostly\s+|mainly\s+|largely\s+)?"
    r"(?:local\b|foreign\b|(?!North\b|Korean\b|DPRK\b)(?-i:[A-Z])[a-z]+(?:an|ese|ish|i|ic|ek|yz|ik)\b)",
    re.IGNORECASE,
)
_KOREAN_LATER = re.compile(r"North\s+Korea|DPRK", re.IGNORECASE)
# People said to come from somewhere other than North Korea: '... about 300 in all, come from South Asia'.
# The origin must be another country or a part of the world ('South Asia'): 'came from Chongjin' is a North
# Korean town.
_FROM_ELSEWHERE_AFTER = re.compile(
    r"^[^.;]{0,40}?\b(?:come|came|are|were|hail|hails|hailed)\s+from\s+(?:the\s+)?", re.IGNORECASE
)
_PART_OF_THE_WORLD = re.compile(
    r"(?:(?:South|Central|East|West|North|Southeast|South-East|Northern|Southern|Eastern|Western)\s+)?"
    r"(?:Asia|Africa|Europe)\b|(?:Gulf|Middle\s+East|Caucasus|Balkans)\b"
)


def _from_elsewhere(rest: str) -> bool:
    """Tell whether the counted people are said to come from another country ('come from South Asia')."""
    lead = _FROM_ELSEWHERE_AFTER.match(rest)
    if lead is None or _KOREANS_NEXT.match(rest):
        return False
    origin = rest[lead.end() : lead.end() + 60]
    countries = find_countries(origin)
    if countries and countries[0][0] == 0:
        return countries[0][2] != "KP"
    return bool(_PART_OF_THE_WORLD.match(origin))


# A list by origin, each count in brackets: 'come from Pakistan (180), India (95) and Bangladesh (25)'.
_ORIGIN_LIST_BEFORE = re.compile(
    r"\b(?:(?:come|came|coming|are|were|hail\w*)\s+from|nationalit\w*|by\s+(?:origin|country\s+of\s+origin))\b[^.;]*"
    r"(?<!North\sKorea\s)(?<!DPRK\s)\(\s*(?:[\w.]+\s+){0,2}?$",
    re.IGNORECASE,
)
# A sum over several workplaces: 'Combined, the two sites employed roughly 250 North Korean workers'.
_COMBINED = re.compile(r"\b(?:combined|between\s+them|taken\s+together|together)\b", re.IGNORECASE)
_SEVERAL_SITES = re.compile(
    r"\b(?:the\s+)?(?:two|three|four|five|both|all)\s+(?:the\s+)?(?:[\w-]+\s+)?(?:sites|plants|factories|yards"
    r"|mines|workshops|restaurants|companies|firms|camps|farms|projects)\b",
    re.IGNORECASE,
)


_IN_BEFORE_COUNTRIES = re.compile(r"^\s*(?:[^.;,]{0,30}?\b(?:in|across|between)\s+)?(?:the\s+)?")
_AND_THE = re.compile(r"\s+and\s+(?:the\s+)?")


def _in_two_countries(after: str) -> bool:
    """Tell whether the count is one total over two countries: 'Some 800 work in the UAE and Qatar'."""
    lead = _IN_BEFORE_COUNTRIES.match(after)
    if lead is None:
        return False
    rest = after[lead.end() : lead.end() + 80]
    countries = find_countries(rest)
    if len(countries) < 2 or countries[0][0] != 0:
        return False
    first_end = countries[0][0] + len(countries[0][1])
    joined = _AND_THE.match(rest, first_end)
    return joined is not None and countries[1][0] == joined.end() and countries[1][2] != countries[0][2]


def is_future(text: str, sentence: Span, number_start: int, end: int) -> bool:
    """Tell whether the count is of a group still to come rather than of people at work now.

    After a departure, a group that 'will follow' is one still there that may leave too: '150 were sent
    back. The other 110 will probably follow.'
    """
    before = text[sentence[0] : number_start]
    hedge = re.search(rf"(?:\b(?:{HEDGES})\s+)$", before, re.IGNORECASE)
    head = before[: hedge.start()] if hedge else before
    if _FUTURE_BEFORE.search(head):
        return True
    after = _FUTURE_AFTER.match(text[end : sentence[1]])
    if after and re.search(r"\bfollow\s*$", after.group(), re.IGNORECASE):
        return not _DEPARTED.search(text, max(0, sentence[0] - _DEPARTURE_LOOK_BACK), sentence[0])
    return bool(after)


def not_there_now(text: str, sentence: Span, start: int, number_start: int, end: int) -> bool:
    """Tell whether a count of people is not of North Koreans at work there now (the rules above)."""
    before = text[sentence[0] : start]
    after = text[end : sentence[1]]
    besides = _BESIDES.search(text, sentence[0], sentence[1])
    rest = _after_number(text, number_start, sentence[1])
    return bool(
        is_future(text, sentence, number_start, end)
        or _FUTURE_BEFORE.search(before)  # before the whole phrase: 'lacks an estimated 4,500-5,000 workers'
        or _MANY_COUNTRIES_AFTER.search(after)
        or _in_two_countries(after)
        or (_SEVERAL_COUNTRIES_BEFORE.search(before) and not _ONE_COUNTRY_AFTER.match(after))
        or _SEVERAL_COUNTRIES_AFTER.search(after)
        or _GONE_BEFORE.search(before)
        or _LEFT_AFTER.search(after)
        or (besides is not None and besides.end() <= number_start)
        or _NAMED_NOUN_AFTER.match(rest)
        or ((_MEMBERS_LIST.search(before) or _MEMBERS_NEXT.search(before)) and not _PLACED_AFTER.match(rest))
        or _PICTURED.search(before)
        or _HOUSED.match(rest)
        or _HARMED_OR_SPOKE.search(after)
        or _AT_THE_SCENE.search(after)
        or _PART_OF_SITE.match(rest)
        or _IN_A_TRADE.match(rest)
        or _SHORTAGE_BEFORE.search(before)
        or _ALL_TRADES_AFTER.match(rest)
        or _ENTERED_AFTER.search(after)
        or _VISITORS_AFTER.match(after)
        or (_OVER_YEARS.search(text, sentence[0], sentence[1]) and _PERFECT_AFTER.search(rest))
        or _TOTAL_AFTER.match(rest)
        or (_TOTAL_BEFORE.search(before) and not _KOREANS_NEXT.match(rest))
        or _PER_ROOM.match(rest)
        or _SAID_AFTER.match(after)
        or _PASSED_THROUGH_AFTER.match(after)
        or _REACHED_SOUTH_AFTER.match(after)
        or _HOW_MANY_UNKNOWN.search(text, sentence[0], sentence[1])
        or (_ARE_OTHERS_AFTER.match(rest) and not _KOREAN_LATER.search(rest, 0, 80))
        or _from_elsewhere(rest)
        or _ORIGIN_LIST_BEFORE.search(text, sentence[0], number_start)
        or (_COMBINED.search(before) and _SEVERAL_SITES.search(text, sentence[0], sentence[1]))
    )


def _after_number(text: str, number_start: int, sentence_end: int) -> str:
    """The rest of the sentence after the number itself (a phrase may run on past it: 'employs 2,000 ...')."""
    number = re.compile(NUMBER, re.IGNORECASE).match(text, number_start, sentence_end)
    return text[number.end() if number else number_start : sentence_end]
