"""Writes an engine configuration (config/config.schema.json) with one adapter per source of the
simulated region: fhir-rest per hospital, csv-file and xml-file on the drop folders, json-rest
per JSON municipality; each with its shipped mapping unless identity is asked for."""

import json
import os

PSEUDONYM_KEY = "${FHIR_ENGINE_PSEUDONYM_KEY}"


def build_config(region, port, config_path, mappings_dir, with_mappings=True, engine_port=8080,
                 database="fhir-engine.db", poll_interval_s=5, stale_after_s=60,
                 drop_stale_after_s=None):
    config_dir = os.path.dirname(os.path.abspath(config_path))
    # Whole seconds stay integers; the engine takes decimals down to 0.1 s.
    if float(poll_interval_s).is_integer():
        poll_interval_s = int(poll_interval_s)

    def rel(path):
        return os.path.relpath(os.path.abspath(path), config_dir)

    def mapped(adapter, mapping_file, source):
        if with_mappings:
            adapter["mapping"] = rel(os.path.join(mappings_dir, mapping_file))
            adapter["mapping-source"] = source
        return adapter

    base = f"http://127.0.0.1:{port}"
    adapters = []
    for fhir in region.fhir_sources:
        adapters.append(mapped({
            "name": fhir.name, "type": "fhir-rest", "poll-interval-s": poll_interval_s,
            "stale-after-s": stale_after_s,
            "settings": {"base-url": f"{base}/{fhir.source}/fhir",
                         "resource-types": ["Organization", "Location", "Encounter"],
                         "page-size": 1000, "overlap-s": 60, "max-pages-per-poll": 50}},
            "hospital-fhir.json", fhir.source))
    for drop in region.drop_sources:
        # The adapters check at start that both folders exist.
        os.makedirs(os.path.join(drop.folder, "done"), exist_ok=True)
        settings = {"directory": rel(drop.folder), "pattern": f"*.{drop.dialect}",
                    "archive-directory": rel(os.path.join(drop.folder, "done")),
                    "settle-seconds": 1, "batch-size": 1000}
        if drop.dialect == "csv":
            settings.update({"delimiter": ";", "encoding": "iso-8859-1",
                             "key-columns": ["kommun", "enhet", "plats"]})
        else:
            settings.update({"record-xpath": "/platser/plats",
                             "key-xpath": "concat(@kommun, '|', @enhet, '|', @nr)"})
        adapters.append(mapped({
            "name": drop.name, "type": drop.kind, "poll-interval-s": poll_interval_s,
            "stale-after-s": drop_stale_after_s or stale_after_s, "settings": settings},
            f"municipal-{drop.dialect}.json", "kommun"))
    for source in region.json_sources:
        adapters.append(mapped({
            "name": source.name, "type": "json-rest", "poll-interval-s": poll_interval_s,
            "stale-after-s": stale_after_s,
            "settings": {"url": f"{base}/kommun/{source.member.code}/platser",
                         "key-field": "plats",
                         "paging": {"type": "offset", "offset-param": "offset",
                                    "limit-param": "limit", "page-size": 500}}},
            "municipal-json.json", "kommun"))
    config = {"server": {"host": "127.0.0.1", "port": engine_port},
              "store": {"database": database}}
    if with_mappings:
        # The engine reads one key for every mapping's pseudonyms, at the top level.
        config["pseudonym-key"] = PSEUDONYM_KEY
    config["adapters"] = adapters
    return config


def write_config(path, config):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = path + ".part"
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(config, out, ensure_ascii=False, indent=2)
        out.write("\n")
    os.replace(temporary, path)
