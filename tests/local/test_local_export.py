"""Downloads as Linkis 1.8.0 writes them: ``resultsetToExcel`` as xlsx, and ``resultsetsToExcel``
(every result set of a job, a sheet each), read back with openpyxl (§8.3)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.local.gateway_api import Api

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["id", "name", "score", "flag", "day", "note"]


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.content))


def values(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def two_tables(scripted_linkis) -> dict:
    _, task = Api(scripted_linkis).run("table 6000\ntable 3")
    return task


def test_one_result_set_as_xlsx_is_text_cells_under_a_bold_header(api: Api, two_tables: dict):
    response = api.get("/filesystem/resultsetToExcel", path=two_tables["resultLocation"] + "/_1.dolphin",
                       outputFileType="xlsx", outputFileName="orders")
    assert response.headers["content-disposition"] == "attachment;filename=orders.xlsx"
    book = workbook(response)
    assert book.sheetnames == ["result"]
    sheet = book["result"]
    assert values(sheet) == [HEADER, ["0", "name-0", "0", "true", "2024-01-01", "NULL"],
                             ["1", "name-1", "0.25", "false", "2024-01-02", "note 1"],
                             ["2", "name-2", "0.5", "true", "2024-01-03", "note 2"]]
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 14
    assert sheet["A2"].number_format == "@"


def test_xlsx_takes_the_sheet_name_null_value_and_limit(api: Api, two_tables: dict):
    path = two_tables["resultLocation"] + "/_0.dolphin"
    capped = workbook(api.get("/filesystem/resultsetToExcel", path=path, outputFileType="xlsx"))["result"]
    assert capped.max_row == 1 + 5000  # the excel cap without a limit
    book = workbook(api.get("/filesystem/resultsetToExcel", path=path, outputFileType="xlsx", sheetName="q1",
                            nullValue="BLANK", limit=8))
    rows = values(book["q1"])
    assert len(rows) == 1 + 8 and rows[1][5] == rows[8][5] == ""  # BLANK: an empty text cell


def test_auto_format_writes_numbers_and_dates_as_such(api: Api, two_tables: dict):
    book = workbook(api.get("/filesystem/resultsetToExcel", path=two_tables["resultLocation"] + "/_1.dolphin",
                            outputFileType="xlsx", autoFormat="true"))
    first, second = values(book["result"])[1:3]
    assert first[0] == 0 and second[2] == 0.25 and second[1] == "name-1"
    assert first[4].date().isoformat() == "2024-01-01"
    assert first[5] == "NULL"  # the null text is text in a number or a string column alike


def test_every_result_set_of_a_job_is_a_sheet_in_order(api: Api, two_tables: dict):
    response = api.get("/filesystem/resultsetsToExcel", path=two_tables["resultLocation"], limit=2)
    assert response.headers["content-disposition"] == "attachment;filename=downloadResultset.xlsx"
    book = workbook(response)
    assert book.sheetnames == ["resultset0", "resultset1"]
    assert [len(values(book[name])) for name in book.sheetnames] == [3, 3]  # limit counts per sheet
    assert values(book["resultset1"])[0] == HEADER


@pytest.mark.parametrize("endpoint, target, error", [
    ("resultsetToExcel", "/_0.dolphin", "80024"),
    ("resultsetsToExcel", "", "80024"),
])
def test_a_text_result_is_no_spreadsheet(api: Api, endpoint: str, target: str, error: str):
    _, task = api.run("text hello")
    refused = api.get(f"/filesystem/{endpoint}", path=task["resultLocation"] + target, outputFileType="xlsx")
    assert refused.status_code == 200 and refused.headers["content-type"].startswith("text/plain")
    assert refused.text.startswith(f"error(错误):errCode: {error} ,desc: Non-tabular result sets cannot be "
                                   "downloaded as excel(非table类型的结果集不能下载为excel)")


def test_a_job_without_results_has_nothing_to_download(api: Api):
    _, task = api.run("log INFO nothing to show")
    refused = api.get("/filesystem/resultsetsToExcel", path=task["resultLocation"])
    assert refused.text.startswith("error(错误):errCode: 80029 ,desc: Empty dir(空目录)!")


def test_another_users_results_are_not_exported(api: Api, bob: Api, two_tables: dict):
    refused = bob.get("/filesystem/resultsetsToExcel", path=two_tables["resultLocation"])
    assert refused.text.startswith("error(错误):errCode: 8002")  # 80010 or 80027: not bob's
