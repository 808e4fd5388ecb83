"""Result listing, paging, export, persisted logs and the per-user path boundary (§8), over HTTP."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from tests.local.scripted_engine import table_rows

OUTSIDE = ("error code(错误码): 80027, error message(错误信息): "
           "The path needs to be within the user's own workspace path.")


def expected_cells(row: tuple) -> list:
    index, name, score, flag, day, note = row
    # Doubles as Linkis's reader prints them: no trailing ".0" (§8.2); these scores need no more.
    return [str(index), name, format(score, "g"), "true" if flag else "false", day.isoformat(), note]


def test_dir_file_trees_lists_results_in_numeric_order(api):
    script = "\n".join(["table 1"] * 12)
    _, task = api.run(script)
    tree = api.get("/filesystem/getDirFileTrees", path=task["resultLocation"]).json()
    assert tree["method"] == "/api/filesystem/getDirFileTrees"
    trees = tree["data"]["dirFileTrees"]
    assert (trees["name"], trees["path"], trees["isLeaf"], trees["parentPath"]) == (
        str(task["taskID"]), task["resultLocation"], False, None)
    names = [child["name"] for child in trees["children"]]
    assert names == [f"_{n}.dolphin" for n in range(12)]
    child = trees["children"][10]
    assert child["path"] == task["resultLocation"] + "/_10.dolphin" and child["isLeaf"] is True
    assert child["parentPath"] == task["resultLocation"] and int(child["properties"]["size"]) > 0
    assert child["properties"]["modifytime"].isdigit()


def test_no_results_gives_a_null_tree(api):
    _, task = api.run("log INFO nothing to show")
    tree = api.get("/filesystem/getDirFileTrees", path=task["resultLocation"]).json()
    assert (tree["status"], tree["data"]) == (0, {"dirFileTrees": None})


def test_twelve_thousand_rows_through_five_thousand_row_pages(api):
    _, task = api.run("table 12000")
    path = task["resultLocation"] + "/_0.dolphin"
    pages, page = [], 1
    while True:
        data = api.get("/filesystem/openFile", path=path, page=page, pageSize=5000).json()["data"]
        assert (data["page"], data["totalPage"], data["type"], data["totalColumn"]) == (page, 0, "2", 6)
        assert data["totalLine"] == len(data["fileContent"])
        if not data["fileContent"]:
            break
        pages.append(data)
        page += 1
    assert [len(data["fileContent"]) for data in pages] == [5000, 5000, 2000]
    assert pages[0]["metadata"] == [
        {"columnName": "id", "comment": "NULL", "dataType": "int"},
        {"columnName": "name", "comment": "NULL", "dataType": "string"},
        {"columnName": "score", "comment": "NULL", "dataType": "double"},
        {"columnName": "flag", "comment": "NULL", "dataType": "boolean"},
        {"columnName": "day", "comment": "NULL", "dataType": "date"},
        {"columnName": "note", "comment": "NULL", "dataType": "string"}]
    rows = [row for data in pages for row in data["fileContent"]]
    expected = [[("NULL" if cell is None else cell) for cell in expected_cells(row)] for row in table_rows(12000)]
    assert rows == expected


def test_default_page_and_null_values(api):
    _, task = api.run("table 8")
    path = task["resultLocation"] + "/_0.dolphin"
    default = api.get("/filesystem/openFile", path=path).json()["data"]
    assert default["totalLine"] == 8 and default["fileContent"][0][5] == "NULL"
    raw = api.get("/filesystem/openFile", path=path, nullValue="LINKIS_NULL").json()["data"]
    assert raw["fileContent"][0][5] is None and raw["fileContent"][7][5] is None
    custom = api.get("/filesystem/openFile", path=path, nullValue="-").json()["data"]
    assert custom["fileContent"][0][5] == "-" and custom["fileContent"][1][5] == "note 1"
    too_big = api.get("/filesystem/openFile", path=path, pageSize=100001).json()
    assert too_big["status"] == 1 and "80034" in too_big["message"]
    for columns in ({"columnPage": 0}, {"columnPageSize": 501}, {"columnPageSize": 0}):
        refused = api.get("/filesystem/openFile", path=path, **columns).json()
        assert refused["status"] == 1 and refused["data"]["errorMsg"]["errCode"] == 80036, columns


def test_text_results(api):
    _, task = api.run("text hello world")
    data = api.get("/filesystem/openFile", path=task["resultLocation"] + "/_0.dolphin").json()["data"]
    assert data == {"metadata": "NULL", "fileContent": [["hello world"]], "type": "1", "totalLine": 1, "page": 1,
                    "totalPage": 0}


def test_export_csv(api):
    _, task = api.run("table 6000")
    path = task["resultLocation"] + "/_0.dolphin"
    response = api.get("/filesystem/resultsetToExcel", path=path, outputFileName="out")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == "attachment;filename=out.csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["id", "name", "score", "flag", "day", "note"]
    assert len(rows) == 1 + 5000  # capped without a limit (§8.3)
    assert rows[1] == ["0", "name-0", "0", "true", "2024-01-01", "NULL"]
    limited = api.get("/filesystem/resultsetToExcel", path=path, limit=3, csvSeparator=";", nullValue="")
    assert limited.text.splitlines() == ["id;name;score;flag;day;note", "0;name-0;0;true;2024-01-01;",
                                         "1;name-1;0.25;false;2024-01-02;note 1",
                                         "2;name-2;0.5;true;2024-01-03;note 2"]
    # Export errors are no envelope: HTTP 200, text/plain "error(错误):..." (§8.3).
    refused = api.get("/filesystem/resultsetToExcel", path=path, outputFileType="pdf")
    assert refused.status_code == 200 and refused.headers["content-type"].startswith("text/plain")
    assert refused.text == "error(错误):null"


def test_open_log_returns_the_whole_persisted_log(api):
    data, task = api.run("log WARN w1\nlog INFO i1\nfail broken")
    log = api.get("/filesystem/openLog", path=task["logPath"]).json()
    assert log["method"] == "/api/filesystem/openLog"
    error, warn, info, everything = api.persisted_log(task["logPath"])
    assert everything.endswith("\n") and len(everything.splitlines()) >= 7
    assert "w1" in warn and "i1" in info and "broken" in error
    entrance = api.get(f"/entrance/{data['execID']}/log", fromLine=1, size=-1).json()["data"]["log"][3]
    assert everything == entrance + "\n"


def test_users_cannot_read_each_others_results_or_logs(api, bob):
    _, task = api.run("table 3")
    for endpoint, path in [("/filesystem/getDirFileTrees", task["resultLocation"]),
                           ("/filesystem/openFile", task["resultLocation"] + "/_0.dolphin"),
                           ("/filesystem/openLog", task["logPath"])]:
        refused = bob.get(endpoint, path=path)
        assert (refused.status_code, refused.json()["message"]) == (400, OUTSIDE), endpoint
    export = bob.get("/filesystem/resultsetToExcel", path=task["resultLocation"] + "/_0.dolphin")
    assert (export.status_code, export.headers["content-type"]) == (200, "text/plain; charset=utf-8")
    assert export.text.startswith("error(错误):errCode: 80027 ,desc: The path needs to be within the user's own")


def test_path_traversal_and_symlinks_are_refused(scripted_linkis, api, bob):
    _, task = api.run("table 3")
    result_dir = Path(task["resultLocation"].removeprefix("file://"))
    bob_root = scripted_linkis.data_dir / "users" / "bob"
    bob_root.mkdir(parents=True, exist_ok=True)
    sneaky = f"file://{bob_root}/../{api.user}/result"
    link = bob_root / "link"
    os.symlink(result_dir, link)
    try:
        for path in [sneaky, str(bob_root / ".." / api.user), "/etc/passwd", "file:///etc/passwd",
                     "hdfs:///tmp/linkis/x", "relative/path", str(link), f"{link}/_0.dolphin"]:
            answer = bob.get("/filesystem/openFile", path=path).json()
            assert answer["message"] == OUTSIDE, path
            assert answer["data"]["errorMsg"]["errCode"] == 80027
    finally:
        link.unlink()
    assert api.get("/filesystem/openFile", path=str(result_dir / "_0.dolphin")).json()["status"] == 0
    missing = api.get("/filesystem/openFile", path=str(result_dir / "_9.dolphin")).json()
    assert missing["status"] == 1 and "80013" in missing["message"]
    assert api.get("/filesystem/openFile").json()["status"] == 1
