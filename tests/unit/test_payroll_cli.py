"""The headless path of a payroll month: `staff import`, `staff list`, `payroll compute`,
`payroll copy`, `validate`, `render --c02a --xlsx` (over a real SQLite home, no mocks)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import openpyxl
import pytest

from client import cli

UNIT_ARGS = ["unit", "set", "--code", "1047665", "--name", "Trường Tiểu học Hòa Bình",
             "--treasury", "KBNN Quận 1", "--account", "9523.1.1047665", "--account-kind",
             "estimate", "--prepared-by", "Đỗ Thị Hằng"]


def register_workbook(path: Path) -> Path:
    """A staff register as units keep it: title, categories as group rows, percent columns."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "DANH SÁCH CÁN BỘ, VIÊN CHỨC HƯỞNG LƯƠNG NĂM 2026"
    ws.merge_cells("A1:K1")
    ws.append([])
    ws.append(["STT", "Họ và tên", "Số TK", "Ngân hàng", "Mã ngạch", "Hệ số lương", "PC chức vụ",
               "PC khu vực", "PC công vụ (%)", "PC thâm niên nghề (%)", "PC ưu đãi nghề (%)",
               "Tiền công hợp đồng", "Số người phụ thuộc"])
    ws.append([None, "I. Công chức"])
    ws.append([1, "Nguyễn Văn An", "0071 000 123 456", "Vietcombank", "01.003", "4,98", "0,3",
               "0,2", 25])
    ws.append([None, "II. Viên chức"])
    ws.append([2, "Trần Thị Bình", "1010-2020-3030", "VietinBank", "V.07.03.29", 3.66, None,
               None, None, 10, 30, None, 2])
    ws.append([None, "III. Hợp đồng lao động"])
    ws.append([3, "Lê Văn Cường", "19036677889900", "Techcombank", None, None, None, None, None,
               None, None, "60.000.000", 1])
    ws.append([None, "Tổng cộng"])
    wb.save(path)
    return path


def run(home: Path, *args: str) -> int:
    return cli.main(["--home", str(home), *args])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert run(home, *UNIT_ARGS) == 0
    return home


def test_month_from_the_register_to_the_printed_forms(home: Path, tmp_path: Path,
                                                      capsys) -> None:
    book = register_workbook(tmp_path / "can-bo.xlsx")
    assert run(home, "staff", "import", str(book), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["people"] == 3 and data["added"] == ["Nguyễn Văn An", "Trần Thị Bình",
                                                     "Lê Văn Cường"]
    assert run(home, "staff", "list", "--json") == 0
    staff = json.loads(capsys.readouterr().out)
    assert [(p["category"], p["account"]) for p in staff] == [
        ("cong-chuc", "0071000123456"), ("vien-chuc", "101020203030"),
        ("hop-dong", "19036677889900")]
    assert staff[1]["coefficients"] == {"he_so_luong": "3.66", "pc_tham_nien_nghe": "10",
                                        "pc_uu_dai_nghe": "30"}
    assert staff[2]["amounts"] == {"contract_wage": 60_000_000} and staff[2]["dependants"] == 1
    assert run(home, "staff", "list") == 0
    listed = capsys.readouterr().out
    assert "Nguyễn Văn An — 0071000123456 (Vietcombank) — Công chức; HSL 4,98" in listed
    assert "CVụ 25%" in listed and "NPT 2" in listed

    june, july = tmp_path / "t6.json", tmp_path / "t7.json"
    assert run(home, "payroll", "compute", "--month", "2026-06", "-o", str(june),
               "--date", "2026-06-25") == 0
    assert "77.196.268" in capsys.readouterr().out  # 14 614 704 + 10 906 764 + 51 674 800
    assert run(home, "payroll", "compute", "--month", "2026-07", "-o", str(july),
               "--date", "2026-07-25", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["base_salary"] == 2_530_000 and data["problems"] == []
    assert data["document"]["total"] == 15_801_368 + 11_792_355 + 51_336_600
    assert data["previous"]["period"] == "2026-06"
    assert "Lương cơ sở thay đổi" in data["changes"]["explanation"]
    doc = json.loads(july.read_text("utf-8"))
    assert [line["amount"] for line in doc["lines"]] == [15_801_368, 11_792_355, 51_336_600]

    assert run(home, "validate", str(july)) == 0
    assert "hợp lệ" in capsys.readouterr().out
    assert run(home, "validate", str(july), "--payment-order-amount", "79.000.000",
               "--json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == 1 and data["problems"][0]["code"] == "payment-order-amount-mismatch"

    pdf, c02a, xlsx = tmp_path / "t7.pdf", tmp_path / "c02a.pdf", tmp_path / "c02a.xlsx"
    assert run(home, "render", str(july), "-o", str(pdf), "--c02a", str(c02a),
               "--c02a-xlsx", str(xlsx), "--xlsx", str(tmp_path / "t7.xlsx")) == 0
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(c02a), "-"], check=True,
                                   capture_output=True, text=True).stdout.split())
    assert "Mẫu số C02a-HD" in text and "Lê Văn Cường" in text and "51.336.600" in text
    assert openpyxl.load_workbook(xlsx).active.title == "C02a-HD"

    # August copied from July; the same month again warns that it is a second table.
    august = tmp_path / "t8.json"
    assert run(home, "payroll", "copy", "--month", "2026-08", "-o", str(august)) == 0
    assert "Không có thay đổi về người hưởng và số tiền" in capsys.readouterr().out
    assert json.loads(august.read_text("utf-8"))["total"] == doc["total"]

    # Lê Văn Cường leaves: the register is loaded again without him.
    wb = openpyxl.load_workbook(book)
    wb.active.delete_rows(8, 2)
    wb.save(book)
    assert run(home, "staff", "import", str(book), "--deactivate-missing", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["deactivated"] == ["Lê Văn Cường"] and data["updated"] == []
    assert run(home, "staff", "list", "--json") == 0
    assert [p["name"] for p in json.loads(capsys.readouterr().out)] == ["Nguyễn Văn An",
                                                                        "Trần Thị Bình"]


def test_render_c02a_needs_a_computed_document(home: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "l.csv"
    src.write_text("Họ và tên,Số tài khoản,Ngân hàng,Số tiền\nAn,0071000123456,VCB,1.000.000\n",
                   encoding="utf-8")
    doc = tmp_path / "l.json"
    assert run(home, "import", "salary", str(src), "-o", str(doc), "--period", "2026-07") == 0
    assert run(home, "render", str(doc), "-o", str(tmp_path / "l.pdf"), "--c02a",
               str(tmp_path / "c.pdf")) == 1
    assert "không được tính từ danh sách cán bộ" in capsys.readouterr().err


def test_register_errors_name_the_row(home: Path, tmp_path: Path, capsys) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Số tài khoản", "Ngân hàng", "Đối tượng", "Hệ số lương"])
    ws.append(["Nguyễn Văn An", "0071000123456", "Vietcombank", "Giám đốc", "4,98"])
    ws.append(["Trần Thị Bình", "12", "VietinBank", "Viên chức", "3,66"])
    path = tmp_path / "sai.xlsx"
    wb.save(path)
    assert run(home, "staff", "import", str(path)) == 1
    err = capsys.readouterr().err
    assert "dòng 2: không nhận ra đối tượng «Giám đốc»" in err
    assert "dòng 3" in err and "số tài khoản «12» phải có 6–19 chữ số" in err
    assert run(home, "payroll", "compute", "--month", "2026-07", "-o",
               str(tmp_path / "x.json")) == 1
    assert "chưa có ai" in capsys.readouterr().err
    assert run(home, "payroll", "compute", "--month", "2026-13", "-o", "x.json") == 2
