"""The region's fixed structure: three hospitals with wards and beds, fifteen municipalities
with short-term and residential units and places, multiplied by --scale. No live state here."""

# Ward type -> (bed type in the EHR dialect, regional bed category).
WARD_BED_TYPE = {
    "MED": "VARD", "KIR": "VARD", "ORT": "VARD", "GER": "VARD",
    "IVA": "IVA", "BARN": "BARN", "PSY": "PSYK",
}
BED_TYPE_CATEGORY = {
    "VARD": "general", "IVA": "intensive-care", "BARN": "paediatric", "PSYK": "psychiatric",
}
WARD_TYPE_NAME = {
    "MED": "Medicin", "KIR": "Kirurgi", "ORT": "Ortopedi", "GER": "Geriatrik",
    "IVA": "Intensivvård", "BARN": "Barn", "PSY": "Psykiatri",
}
PLACE_TYPE_CATEGORY = {
    "korttidsplats": "municipal-short-term", "särskilt boende": "municipal-residential",
}

# (source id, name, HSA id, site name, [(ward type, wards, beds per ward)], catchment codes).
HOSPITALS = [
    ("nus", "Norrlands universitetssjukhus", "SE2321000016-0001", "Umeå sjukhusområde",
     [("MED", 8, 24), ("KIR", 6, 24), ("ORT", 3, 22), ("GER", 3, 22), ("BARN", 3, 18),
      ("PSY", 3, 20), ("IVA", 2, 12)],
     ["2480", "2401", "2403", "2404", "2409", "2460"]),
    ("skl", "Skellefteå lasarett", "SE2321000016-0002", "Skellefteå sjukhusområde",
     [("MED", 3, 20), ("KIR", 2, 20), ("ORT", 1, 16), ("GER", 1, 16), ("PSY", 1, 12),
      ("IVA", 1, 6)],
     ["2482", "2417", "2418"]),
    ("lyc", "Lycksele lasarett", "SE2321000016-0003", "Lycksele sjukhusområde",
     [("MED", 1, 20), ("KIR", 1, 16), ("GER", 1, 14), ("BARN", 1, 6), ("IVA", 1, 4)],
     ["2481", "2421", "2422", "2425", "2462", "2463"]),
]

# (municipality code, name, places at scale 1, dialect it exports in).
MUNICIPALITIES = [
    ("2401", "Nordmaling", 28, "csv"), ("2403", "Bjurholm", 14, "xml"),
    ("2404", "Vindeln", 24, "csv"), ("2409", "Robertsfors", 26, "xml"),
    ("2417", "Norsjö", 22, "csv"), ("2418", "Malå", 18, "xml"),
    ("2421", "Storuman", 28, "json"), ("2422", "Sorsele", 16, "csv"),
    ("2425", "Dorotea", 16, "xml"), ("2460", "Vännäs", 30, "csv"),
    ("2462", "Vilhelmina", 30, "json"), ("2463", "Åsele", 16, "xml"),
    ("2480", "Umeå", 220, "json"), ("2481", "Lycksele", 40, "csv"),
    ("2482", "Skellefteå", 130, "json"),
]

SHORT_TERM_SHARE = 0.25
SHORT_TERM_UNIT_SIZE = 12
RESIDENTIAL_UNIT_SIZE = 30
MAX_SCALE = 1000


class Ward:
    __slots__ = ("hospital", "local_id", "ward_type", "name", "beds")

    def __init__(self, hospital, local_id, ward_type, name):
        self.hospital = hospital
        self.local_id = local_id
        self.ward_type = ward_type
        self.name = name
        self.beds = []


class HospitalBed:
    """One EHR bed; 'op' is the EHR's bed-status code, 'encounter' the patient lying in it."""
    __slots__ = ("hospital", "ward", "local_id", "number", "bed_type", "op", "status",
                 "encounter")

    def __init__(self, hospital, ward, number):
        self.hospital = hospital
        self.ward = ward
        self.number = number
        self.local_id = f"{ward.local_id}-{number:02d}"
        self.bed_type = WARD_BED_TYPE[ward.ward_type]
        self.op = "LEDIG"
        self.status = "active"
        self.encounter = None


class Hospital:
    __slots__ = ("source", "name", "hsa_id", "site_name", "wards", "beds", "catchment",
                 "wards_by_type")

    def __init__(self, source, name, hsa_id, site_name, catchment):
        self.source = source
        self.name = name
        self.hsa_id = hsa_id
        self.site_name = site_name
        self.catchment = catchment
        self.wards = []
        self.beds = []
        self.wards_by_type = {}


class Unit:
    __slots__ = ("municipality", "code", "kind", "places")

    def __init__(self, municipality, code, kind):
        self.municipality = municipality
        self.code = code
        self.kind = kind  # "korttid" or "boende"
        self.places = []


class Place:
    """One municipal place; 'status' is the dialect's code (Ledig, Belagd, Städning, Stängd)."""
    __slots__ = ("unit", "nr", "place_type", "status", "changed_ms", "occupant")

    def __init__(self, unit, nr):
        self.unit = unit
        self.nr = nr
        self.place_type = "korttidsplats" if unit.kind == "korttid" else "särskilt boende"
        self.status = "Ledig"
        self.changed_ms = 0
        self.occupant = None


class Municipality:
    __slots__ = ("code", "name", "dialect", "units", "places", "weight")

    def __init__(self, code, name, dialect, weight):
        self.code = code
        self.name = name
        self.dialect = dialect
        self.weight = weight
        self.units = []
        self.places = []

    def short_term_places(self):
        return [p for u in self.units if u.kind == "korttid" for p in u.places]


class RegionLayout:
    """The hospitals and municipalities of one simulated region, at a given scale.

    --scale N multiplies every hospital's wards and every municipality's units by N, so the
    number of sources (and of engine adapters) stays fixed while the bed count grows."""

    def __init__(self, scale=1):
        if not isinstance(scale, int) or scale < 1 or scale > MAX_SCALE:
            raise ValueError(f"scale must be an integer from 1 to {MAX_SCALE}, got {scale!r}")
        self.scale = scale
        self.hospitals = []
        self.municipalities = []
        for source, name, hsa, site_name, ward_spec, catchment in HOSPITALS:
            hospital = Hospital(source, name, hsa, site_name, catchment)
            ward_no = 0
            for ward_type, count, beds in ward_spec:
                for _ in range(count * scale):
                    ward_no += 1
                    same_type = len(hospital.wards_by_type.get(ward_type, [])) + 1
                    ward = Ward(hospital, f"W{ward_no}", ward_type,
                                f"{WARD_TYPE_NAME[ward_type]} {same_type}")
                    for number in range(1, beds + 1):
                        bed = HospitalBed(hospital, ward, number)
                        ward.beds.append(bed)
                        hospital.beds.append(bed)
                    hospital.wards.append(ward)
                    hospital.wards_by_type.setdefault(ward_type, []).append(ward)
            self.hospitals.append(hospital)
        for code, name, places, dialect in MUNICIPALITIES:
            municipality = Municipality(code, name, dialect, places)
            total = places * scale
            short_term = max(1, round(total * SHORT_TERM_SHARE))
            self._add_units(municipality, "korttid", "KT", short_term, SHORT_TERM_UNIT_SIZE)
            self._add_units(municipality, "boende", "HEM", total - short_term,
                            RESIDENTIAL_UNIT_SIZE)
            self.municipalities.append(municipality)
        self.municipality_by_code = {m.code: m for m in self.municipalities}
        self.hospital_by_source = {h.source: h for h in self.hospitals}

    @staticmethod
    def _add_units(municipality, kind, prefix, places, unit_size):
        # Places are numbered through the whole municipality, so kommun+plats is already a
        # unique key (the json-rest adapter takes one key field).
        unit_no = 0
        while places > 0:
            unit_no += 1
            unit = Unit(municipality, f"{prefix}{unit_no}", kind)
            for _ in range(min(unit_size, places)):
                place = Place(unit, len(municipality.places) + 1)
                unit.places.append(place)
                municipality.places.append(place)
            places -= len(unit.places)
            municipality.units.append(unit)

    def bed_count(self):
        return (sum(len(h.beds) for h in self.hospitals)
                + sum(len(m.places) for m in self.municipalities))
