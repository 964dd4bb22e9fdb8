"""Worker counts worded as a group or an estimate rather than 'N workers'.

'a dozen of the welders', 'the 24-member team', 'the remaining 130', 'hired 150 of the new arrivals',
'fewer than 100 went to Khabarovsk', 'put the number of North Korean loggers in the Amur region at 1,500',
'estimates of the number ... range from 28 to 80'. These were written down from published reports. Most
count workers only in a paragraph that speaks of them, which `api.extract.figures` checks.
"""

import re
from collections.abc import Iterator

from api.extract.numbers import HEDGES, NUMBER, UNITS_AFTER, WORKERS

_NOT_A_UNIT = rf"(?![-%\d]|\s+(?:{UNITS_AFTER})\b)"
_COUNTED = rf"(?:[\w-]+\s+){{0,4}}?(?:{WORKERS}|North\s+Koreans|Koreans|nationals|citizens|people)\b"

# 'Regional officials put the number of North Korean loggers in the Amur region at 1,500'; 'two diplomats put
# the number far lower, at about 2,500'.
PUT_AT = re.compile(
    rf"\b(?:put|puts|putting|estimates?|estimated|estimating|places?|placed|placing)\s+"
    rf"(?:(?:the\s+)?(?:number|total|count|headcount)\s+of\s+{_COUNTED}[^.;]{{0,60}}?"
    rf"|(?:their|its|the\s+(?:real|true|actual|likely|overall))\s+(?:number|total|count|headcount)\s+"
    # 'put the number far lower, at about 2,500': an estimate against another one
    rf"|(?:the|their|its)\s+(?:number|total|count|figure)\s+(?:(?:far|much|slightly|somewhat|considerably"
    rf"|a\s+little|a\s+lot)\s+)?(?:lower|higher),?\s+)\bat\s+"
    rf"(?:(?:{HEDGES})\s+)?(?:between\s+{NUMBER}\s+and\s+|{NUMBER}\s*(?:-|\u2013|to)\s*)?"
    rf"(?P<number>{NUMBER}){_NOT_A_UNIT}",
    re.IGNORECASE,
)
# 'Estimates of the number of North Koreans who worked at the yard range from 28 to 80'.
RANGE_FROM = re.compile(
    rf"\b(?:number|total|count)\s+of\s+{_COUNTED}[^.;]{{0,80}}?\brange[sd]?\s+(?:from|between)\s+"
    rf"{NUMBER}\s+(?:to|and)\s+(?P<number>{NUMBER}){_NOT_A_UNIT}",
    re.IGNORECASE,
)
# 'the remaining 100 or so work on a road project'; 'the remaining 130 are expected to leave'.
REMAINING = re.compile(
    rf"\b(?:the\s+)?remaining\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})(?P<post>\s+or\s+so\b)?{_NOT_A_UNIT}",
    re.IGNORECASE,
)
# 'the origin of a dozen of the welders': a number of the workers the paragraph is about.
OF_THE_WORKERS = re.compile(
    rf"\b(?P<number>{NUMBER})\s+of\s+the\s+(?:[\w-]+\s+)?(?:{WORKERS})\b", re.IGNORECASE
)
# 'A smaller, 24-member team', 'a 12-man brigade', 'a 30-person crew'.
MEMBER_TEAM = re.compile(
    rf"(?P<number>{NUMBER})-(?:member|man|person|woman|people)\s+(?:[\w-]+\s+){{0,3}}?"
    r"(?:team|crew|brigade|group|contingent|delegation|unit|squad|staff)\b",
    re.IGNORECASE,
)
# 'The other 110 still work here': the rest of a workforce, after some left; 'the other 110 will probably
# follow' (them home: still there now, which `api.extract.exclusions` tells from a group still to come).
THE_OTHER = re.compile(
    rf"\bthe\s+other\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER}){_NOT_A_UNIT}(?=\s+(?:still\s+|now\s+)?"
    rf"(?:work|works|worked|are|were|remain|remained|stay|stayed|will|may|might|could|are\s+likely)\b)",
    re.IGNORECASE,
)
# 'while the 36 others are working as usual': the rest of a group whose other part the sentence has told.
THE_OTHERS = re.compile(
    rf"\bthe\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})\s+others\b(?=\s+(?:still\s+|now\s+)?"
    rf"(?:work|works|worked|are|were|remain|remained|stay|stayed|keep|kept)\b)",
    re.IGNORECASE,
)
# 'The two restaurants employ 23 and 26 North Koreans, respectively': the first count of a pair.
RESPECTIVELY = re.compile(
    rf"(?P<number>{NUMBER})\s+and\s+{NUMBER}\s+(?:[\w-]+\s+){{0,3}}?(?:{WORKERS}|North\s+Koreans|Koreans|women"
    rf"|men|people)\b,?\s+respectively\b",
    re.IGNORECASE,
)
# One group and its size: 'in a brigade of thirty to forty men', 'a team of 14 developers'. (Plural 'crews of
# 25 to 30' is how groups are sized in general, not a count.)
TEAM_OF = re.compile(
    rf"\b(?:a|an|the|one|its|their|his|her|our|my)\s+(?:[\w-]+\s+){{0,2}}?(?:team|crew|brigade|group|squad|contingent|unit"
    rf"|cell|gang)\s+of\s+(?:(?:{HEDGES})\s+)?(?:{NUMBER}\s*(?:-|\u2013|to)\s*)?(?P<number>{NUMBER})"
    rf"\s+(?:[\w-]+\s+){{0,2}}?(?:{WORKERS}|men|women|North\s+Koreans|Koreans|people)\b",
    re.IGNORECASE,
)
# 'A second team, about a dozen strong'.
STRONG_AFTER = re.compile(
    rf"\b(?:team|crew|brigade|group|workforce|contingent|staff)\b,?\s+(?:(?:{HEDGES})\s+)?"
    rf"(?P<number>{NUMBER})\s+strong\b",
    re.IGNORECASE,
)
# 'North Korean builders in Sohar number between 250 and 300'.
WORKERS_NUMBER = re.compile(
    rf"\bNorth\s+Korean(?:s|\s+(?:[\w-]+\s+){{0,2}}?(?:{WORKERS}))\b[^.;]{{0,40}}?\bnumber(?:ed)?\s+"
    rf"(?:(?:{HEDGES})\s+)?"
    rf"(?:between\s+{NUMBER}\s+and\s+|{NUMBER}\s*(?:-|\u2013|to)\s*)?(?P<number>{NUMBER}){_NOT_A_UNIT}",
    re.IGNORECASE,
)
# 'fewer than 100 went to Khabarovsk', 'about 300 ended up in Tomsk'.
WENT = re.compile(
    rf"(?P<number>{NUMBER})\s+(?:of\s+(?:[\w\u2019'-]+\s+){{1,3}}?)?(?:went|headed|moved|ended\s+up|were\s+posted)"
    r"\s+(?:(?:this|last|that|the\s+same|the\s+next)\s+(?:year|month|spring|summer|autumn|winter)\s+)?(?:to|in)\b",
    re.IGNORECASE,
)
# ... and the further parts of such a list: 'about 400 went to Volgograd, fewer than 300 to Voronezh' (a count
# of people heads it: '60 percent went to the state, 300 to ...' is money).
WENT_MORE = re.compile(
    rf"{NUMBER}\s+(?:went|headed|moved|ended\s+up|were\s+posted)\b[^.;]{{0,120}}?,\s+(?:and\s+)?(?:(?:{HEDGES})\s+)?"
    rf"(?P<number>{NUMBER})\s+(?:to|in)\s+(?-i:[A-Z])",
    re.IGNORECASE,
)
# 'A garment maker hired 150 of the new arrivals'.
HIRED_OF = re.compile(
    rf"\b(?:hired|hires|took\s+on|takes\s+on|recruited|recruits|employs|employed|kept|keeps)\s+"
    rf"(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})\s+of\s+(?:the|them|those|these)\b",
    re.IGNORECASE,
)
# 'These include 37 working at Harbour Knitwear'.
INCLUDE_WORKING = re.compile(
    rf"\b(?:include|includes|included|including)\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})\s+"
    r"(?:who\s+)?(?:work|working|employed|based)\s+(?:at|in|by|for|on)\b",
    re.IGNORECASE,
)
# 'only about 1,800 are left', 'some 300 remain'.
ARE_LEFT = re.compile(
    rf"(?P<number>{NUMBER})\s+(?:(?:are|were)\s+(?:still\s+)?(?:left|remaining)\b"
    r"|(?:remain|remained)\s+(?=in\b|at\b|there\b|working\b|employed\b))"
    r"(?!\s*(?:unpaid|missing|in\s+custody|in\s+detention))",
    re.IGNORECASE,
)
# 'The number has grown from one North Korean in 2010 to 20 in 2014'.
NUMBER_GREW = re.compile(
    rf"\bnumber\s+(?:has\s+|had\s+)?(?:grown|grew|risen|rose|increased|fallen|fell|dropped|declined)\s+"
    rf"(?:from\s+[^.;]{{1,50}}?\s+)?to\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER}){_NOT_A_UNIT}",
    re.IGNORECASE,
)
# An official's count: 'We count 230 on building sites in Irkutsk itself', 'The regional migration office
# now counts 320, most of them working on two blocks of flats'.
_COUNTER = (
    r"we|they|inspectors|officials|the\s+(?:[\w-]+\s+){0,3}?"
    r"(?:ministry|office|inspectorate|police|service|agency|authorit(?:y|ies)|department)"
)
COUNT = re.compile(
    rf"\b(?:{_COUNTER})\s+(?:now\s+|still\s+|currently\s+)?count(?:s|ed)?\s+"
    rf"(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER}){_NOT_A_UNIT}(?=\s+(?:on|at|in|across|working)\b|,|\.)",
    re.IGNORECASE,
)
# Patterns whose count is hedged by a word after it ('the remaining 100 or so').
GROUP_PATTERNS = (
    PUT_AT,
    THE_OTHER,
    THE_OTHERS,
    RESPECTIVELY,
    TEAM_OF,
    STRONG_AFTER,
    WORKERS_NUMBER,
    RANGE_FROM,
    REMAINING,
    OF_THE_WORKERS,
    MEMBER_TEAM,
    WENT,
    WENT_MORE,
    HIRED_OF,
    INCLUDE_WORKING,
    ARE_LEFT,
    NUMBER_GREW,
    COUNT,
)
# Patterns whose quote starts at the pattern's first word rather than at the number.
QUOTED_FROM_START = (
    PUT_AT,
    TEAM_OF,
    STRONG_AFTER,
    WORKERS_NUMBER,
    RANGE_FROM,
    REMAINING,
    MEMBER_TEAM,
    HIRED_OF,
    INCLUDE_WORKING,
    NUMBER_GREW,
    COUNT,
)
# A bare number that closes a clause after its place: 'in the Irkutsk region as a whole, perhaps 600.'
TRAILING = re.compile(
    rf"\b(?i:in|across|throughout)\s+(?:the\s+)?[A-Z][^.;,\n]{{0,40}}?(?:\s+as\s+a\s+whole|\s+alone)?,\s+"
    rf"(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})\s*(?=[.;]|$)",
    re.MULTILINE,
)
# A table whose last column counts workers ('Site | sector | North Korean workers'), and its rows.
_TABLE_HEADER = re.compile(
    rf"^[^\n|]*(?:\|[^\n|]*)*\|[ \t]*[^\n|]*\b(?:{WORKERS}|North\s+Koreans)\b[^\n|]*$",
    re.IGNORECASE | re.MULTILINE,
)
_TABLE_ROW = re.compile(
    rf"[^\n|]+(?:\|[^\n|]*)*\|[ \t]*(?:(?:{HEDGES})[ \t]+)?(?P<number>{NUMBER})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)


def table_rows(text: str) -> Iterator[re.Match[str]]:
    """The rows under a table header whose last column counts workers, each ending in its count."""
    for header in _TABLE_HEADER.finditer(text):
        position = header.end() + 1
        while (row := _TABLE_ROW.match(text, position)) is not None:
            yield row
            position = row.end() + 1
