"""The trainer's page: ``/trainer`` on the sandbox, behind the trainer's login.

It lists every trainee unit's submissions (the page asks
``/trainer/api/state`` every 2 seconds), lets the trainer accept, reject with
a reason or mark paid, switch the scenario, change the processing delays,
and keep the payment orders and blocked accounts the control rules use.

The login is a form; the session is Flask's signed cookie (``SameSite=Strict``,
``HttpOnly``). Every JSON action must also carry ``X-Trainer: 1``, which a
form on another site cannot send. Failed logins are throttled like the
units' (5 in 15 minutes).
"""

from __future__ import annotations

import hmac
import json
import sqlite3
from collections.abc import Callable
from html import escape
from typing import Any

from flask import Blueprint, Response, redirect, request, session

from client.sandbox.core import (
    THROTTLE_FAILURES,
    THROTTLE_WINDOW,
    Sandbox,
    SandboxError,
    Transaction,
    iso,
)
from client.sandbox.scenarios import DEFAULT_PARAM, NAMES, NAMES_VI


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")


def trainer_blueprint(sb: Sandbox, db: Callable[[], sqlite3.Connection]) -> Blueprint:
    from client.sandbox.app import problem

    bp = Blueprint("trainer", __name__, url_prefix="/trainer")

    def logged_in() -> bool:
        return session.get("trainer") == sb.trainer_user

    def require_trainer() -> None:
        if not logged_in():
            raise SandboxError(401, "not-logged-in", "Giảng viên cần đăng nhập lại.")
        if request.method != "GET" and request.headers.get("X-Trainer") != "1":
            raise SandboxError(403, "forbidden", "Thiếu tiêu đề X-Trainer.")

    def body() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise SandboxError(400, "bad-request", "Nội dung yêu cầu phải là một đối tượng JSON.")
        return data

    @bp.get("")
    @bp.get("/")
    def page() -> Response:
        if not logged_in():
            return Response(_login_html(), mimetype="text/html")
        return Response(PAGE_HTML, mimetype="text/html")

    @bp.post("/login")
    def login() -> Response:
        user = request.form.get("username", "")
        password = request.form.get("password", "")
        conn = db()
        now = sb.now()
        who = f"trainer|{user.casefold()}"
        with Transaction(conn):
            recent = conn.execute("SELECT COUNT(*) AS n FROM login_failures WHERE who = ? AND at > ?",
                                  (who, iso(now - THROTTLE_WINDOW))).fetchone()["n"]
            if recent >= THROTTLE_FAILURES:
                return Response(_login_html("Đăng nhập sai quá nhiều lần; thử lại sau 15 phút."),
                                status=429, mimetype="text/html")
            ok = hmac.compare_digest(user.encode(), sb.trainer_user.encode()) and hmac.compare_digest(
                password.encode(), sb.trainer_password.encode())
            if not ok:
                conn.execute("INSERT INTO login_failures (who, at) VALUES (?, ?)", (who, iso(now)))
                return Response(_login_html("Sai tên đăng nhập hoặc mật khẩu giảng viên."),
                                status=401, mimetype="text/html")
            conn.execute("DELETE FROM login_failures WHERE who = ?", (who,))
        session.clear()
        session["trainer"] = sb.trainer_user
        return redirect("/trainer", 303)

    @bp.post("/logout")
    def logout() -> Response:
        session.clear()
        return redirect("/trainer", 303)

    @bp.get("/api/state")
    def state() -> Response:
        require_trainer()
        conn = db()
        return _json({
            "submissions": sb.overview(conn),
            "units": sb.units(conn),
            "scenario": sb.scenario.to_json(),
            "scenarios": [{"name": n, "label": NAMES_VI[n], "param": DEFAULT_PARAM[n]} for n in NAMES],
            "delays": sb.delays(),
            "payment_orders": sb.payment_orders(conn),
            "blocked_accounts": sb.blocked_accounts(conn),
            "rules": sb.rules.describe(),
            "time": iso(sb.now()),
        })

    @bp.post("/api/submissions/<sid>/status")
    def set_status(sid: str) -> Response:
        require_trainer()
        data = body()
        reason = data.get("reason")
        return _json(sb.set_status(db(), sid, str(data.get("status") or ""),
                                   reason if isinstance(reason, str) else None))

    @bp.post("/api/scenario")
    def set_scenario() -> Response:
        require_trainer()
        data = body()
        seed = data.get("seed")
        if isinstance(seed, str):
            seed = int(seed) if seed.strip().lstrip("-").isdigit() else None if not seed.strip() else seed
        return _json(sb.set_scenario(str(data.get("scenario") or ""), seed))

    @bp.post("/api/delays")
    def set_delays() -> Response:
        require_trainer()
        data = body()
        return _json(sb.set_delays(data.get("accept_after"), data.get("pay_after")))

    @bp.post("/api/payment-orders")
    def payment_order() -> Response:
        require_trainer()
        data = body()
        unit = data.get("unit_code")
        if not isinstance(unit, str) or not unit:
            raise SandboxError(400, "bad-request", "Chọn đơn vị.")
        with Transaction(db()) as conn:
            entry = sb.set_payment_order(conn, unit, data.get("number"), data.get("amount"),
                                         data.get("date") or None)
        return _json(entry, 201)

    @bp.post("/api/blocked-accounts")
    def block() -> Response:
        require_trainer()
        data = body()
        with Transaction(db()) as conn:
            entry = sb.block_account(conn, str(data.get("account") or ""),
                                     str(data.get("note") or ""))
        return _json(entry, 201)

    @bp.errorhandler(SandboxError)
    def refused(exc: SandboxError) -> Response:
        return problem(exc.status, exc.code, exc.detail)

    return bp


def _login_html(error: str = "") -> str:
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Đăng nhập giảng viên — Kho bạc mô phỏng</title>
<style>{_CSS}</style></head>
<body><main class="login">
<h1>Kho bạc mô phỏng — Trang giảng viên</h1>
{err}
<form method="post" action="/trainer/login">
<label>Tên đăng nhập <input name="username" id="username" autocomplete="username" required></label>
<label>Mật khẩu <input name="password" id="password" type="password" autocomplete="current-password" required></label>
<button type="submit" id="login">Đăng nhập</button>
</form>
<p class="hint">Tên đăng nhập và mật khẩu được in ra khi khởi động sandbox.</p>
</main></body></html>"""


_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:0;background:#f4f6f8;color:#1d2733;font-size:14px}
header{background:#8b1a1a;color:#fff;padding:10px 18px;display:flex;align-items:center;gap:18px}
header h1{font-size:18px;margin:0;flex:1}
main{padding:14px 18px}
main.login{max-width:380px;margin:60px auto;background:#fff;padding:24px;border-radius:6px;box-shadow:0 1px 4px #0002}
main.login label{display:block;margin:10px 0}
main.login input{width:100%;padding:6px;box-sizing:border-box}
.error{color:#a00;font-weight:bold}.hint{color:#667;font-size:12px}
section{background:#fff;border-radius:6px;box-shadow:0 1px 3px #0002;padding:10px 14px;margin-bottom:14px}
section h2{font-size:15px;margin:4px 0 10px}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #dde3ea;padding:5px 6px;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600}
td.money{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.st{padding:2px 7px;border-radius:10px;font-size:12px;white-space:nowrap}
.st-received{background:#e3ecfa;color:#1b4d8f}.st-accepted{background:#fff1cc;color:#7a5500}
.st-rejected{background:#fbe0e0;color:#9b1c1c}.st-paid{background:#dcf3e2;color:#146c2e}
.checks{color:#9b1c1c;font-size:12px;white-space:pre-line}.ok{color:#146c2e;font-size:12px}
.reason{color:#9b1c1c;white-space:pre-line}
button{cursor:pointer;padding:3px 8px;margin:1px}
input.reason-input{width:190px}
.row{display:flex;gap:10px;flex-wrap:wrap;align-items:end}
.row label{display:flex;flex-direction:column;font-size:12px;gap:2px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:14px}
#flash{min-height:18px;color:#146c2e;font-weight:600}#flash.err{color:#a00}
.muted{color:#667;font-size:12px}
"""

PAGE_HTML = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Trang giảng viên — Kho bạc mô phỏng</title>
<style>""" + _CSS + """</style></head>
<body>
<header><h1>Kho bạc mô phỏng — Trang giảng viên</h1>
<span id="scenario-badge"></span><span id="clock" class="muted" style="color:#fdd"></span>
<form method="post" action="/trainer/logout"><button type="submit">Đăng xuất</button></form></header>
<main>
<div id="flash" role="status"></div>
<section><h2>Hồ sơ của các đơn vị học viên <span class="muted" id="count"></span></h2>
<table id="submissions"><thead><tr><th>Đơn vị</th><th>Số bảng kê</th><th>Loại</th><th>Tổng tiền (đồng)</th>
<th>Trạng thái</th><th>Tiếp nhận lúc</th><th>Kiểm tra tự động / lý do</th><th>Thao tác</th></tr></thead>
<tbody></tbody></table>
<p class="muted" id="empty">Chưa có hồ sơ nào.</p></section>
<div class="grid">
<section><h2>Kịch bản mạng</h2>
<div class="row">
<label>Kịch bản <select id="scenario-name"></select></label>
<label>Tham số <input id="scenario-param" size="8"></label>
<label>Seed <input id="scenario-seed" size="6"></label>
<button id="scenario-apply">Áp dụng</button></div>
<p class="muted" id="scenario-state"></p>
<h2>Tự động chuyển trạng thái</h2>
<div class="row">
<label>Kiểm soát sau (giây) <input id="accept-after" type="number" min="0" step="0.5" size="6"></label>
<label>Thanh toán sau (giây) <input id="pay-after" type="number" min="0" step="0.5" size="6"></label>
<button id="delays-apply">Lưu</button></div>
<p class="muted">0 = chỉ chuyển bằng tay trên trang này.</p></section>
<section><h2>Đơn vị học viên</h2><table id="units"><thead><tr><th>Mã</th><th>Tên</th><th>Đăng nhập</th><th>Người ký</th></tr></thead><tbody></tbody></table></section>
<section><h2>Giấy rút dự toán / Ủy nhiệm chi</h2>
<div class="row">
<label>Đơn vị <select id="po-unit"></select></label>
<label>Số <input id="po-number" size="12"></label>
<label>Số tiền <input id="po-amount" size="12"></label>
<label>Ngày <input id="po-date" type="date"></label>
<button id="po-add">Lưu</button></div>
<table id="payment-orders"><thead><tr><th>Đơn vị</th><th>Số</th><th>Ngày</th><th>Số tiền</th></tr></thead><tbody></tbody></table></section>
<section><h2>Tài khoản bị phong tỏa</h2>
<div class="row"><label>Số tài khoản <input id="blk-account" size="16"></label>
<label>Ghi chú <input id="blk-note" size="24"></label><button id="blk-add">Thêm</button></div>
<table id="blocked"><thead><tr><th>Tài khoản</th><th>Ghi chú</th></tr></thead><tbody></tbody></table></section>
</div>
</main>
<script>
"use strict";
const STATUS = {received: "Đã tiếp nhận", accepted: "Đã kiểm soát, chờ thanh toán",
                rejected: "Bị từ chối", paid: "Đã thanh toán"};
const KIND = {"salary-table": "Mẫu 09 (lương)", "voucher-list": "Mẫu 07 (bảng kê)"};
let last = "", drafts = {}, formsReady = false;
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\\"":"&quot;","'":"&#39;"}[c]));
const money = (n) => String(n).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ".");
const when = (t) => t ? new Date(t).toLocaleString("vi-VN", {timeZone: "Asia/Ho_Chi_Minh"}) : "";
function flash(text, err) { const f = $("#flash"); f.textContent = text; f.className = err ? "err" : ""; }
async function call(path, body) {
  const r = await fetch("/trainer/api/" + path, {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-Trainer": "1"}, body: JSON.stringify(body)});
  const data = await r.json().catch(() => ({}));
  if (r.status === 401) { location.reload(); }
  if (!r.ok) { flash((data.title || "Lỗi") + (data.detail ? ": " + data.detail : ""), true); throw data; }
  return data;
}
function row(s) {
  const open = s.status === "received" || s.status === "accepted";
  const checks = s.checks && s.checks.length
    ? '<div class="checks">Quy tắc sẽ từ chối:\\n' + s.checks.map((c) => "• " + esc(c.reason)).join("\\n") + "</div>"
    : (s.status === "received" ? '<div class="ok">Không phát hiện lỗi.</div>' : "");
  const reason = s.reason ? '<div class="reason">' + esc(s.reason) + "</div>" : "";
  const actions = open ? (
    (s.status === "received" ? '<button data-action="accept">Chấp nhận</button>' : "") +
    '<button data-action="paid">Đã thanh toán</button><br>' +
    '<input class="reason-input" placeholder="Lý do từ chối" value="' + esc(drafts[s.id] ?? "") + '">' +
    '<button data-action="reject">Từ chối</button>') : "";
  return '<tr data-id="' + esc(s.id) + '" data-status="' + esc(s.status) + '">' +
    "<td>" + esc(s.unit_code) + '<div class="muted">' + esc(s.unit_name) + "</div></td>" +
    "<td>" + esc(s.document.number) + "</td><td>" + esc(KIND[s.document.kind] || s.document.kind) + "</td>" +
    '<td class="money">' + money(s.document.total) + "</td>" +
    '<td><span class="st st-' + esc(s.status) + '">' + esc(STATUS[s.status] || s.status) + "</span></td>" +
    "<td>" + esc(when(s.received_at)) + "</td><td>" + checks + reason + "</td><td>" + actions + "</td></tr>";
}
let lastSubs = "";
function render(st) {
  // The dossiers' table is drawn again only when a dossier changed, and not while the
  // trainer is typing a reason (the clock and the scenario counters change every poll).
  const subs = JSON.stringify(st.submissions);
  const typing = document.activeElement && document.activeElement.classList.contains("reason-input");
  if (subs !== lastSubs && !typing) {
    lastSubs = subs;
    $("#submissions tbody").innerHTML = st.submissions.map(row).join("");
    $("#empty").style.display = st.submissions.length ? "none" : "";
    $("#count").textContent = "(" + st.submissions.length + ")";
  }
  const sc = st.scenario;
  $("#scenario-badge").textContent = "Kịch bản: " + sc.label + (sc.param ? " (" + sc.param + ")" : "");
  $("#scenario-state").textContent = "Đang áp dụng: " + sc.spec + ", seed " + sc.seed + ", " + sc.requests +
    " yêu cầu" + (sc.seconds_left !== undefined ? ", còn " + sc.seconds_left + " giây" : "");
  $("#clock").textContent = when(st.time);
  $("#units tbody").innerHTML = st.units.map((u) => "<tr><td>" + esc(u.code) + "</td><td>" + esc(u.name) +
    "</td><td>" + esc(u.users.join(", ")) + "</td><td>" + esc(u.signers.map((x) => x.name).join(", ")) + "</td></tr>").join("");
  $("#payment-orders tbody").innerHTML = st.payment_orders.map((p) => "<tr><td>" + esc(p.unit_code) + "</td><td>" +
    esc(p.number) + "</td><td>" + esc(p.date || "") + '</td><td class="money">' + money(p.amount) + "</td></tr>").join("");
  $("#blocked tbody").innerHTML = st.blocked_accounts.map((b) => "<tr><td>" + esc(b.account) + "</td><td>" +
    esc(b.note) + "</td></tr>").join("");
  if (!formsReady) {
    $("#scenario-name").innerHTML = st.scenarios.map((x) => '<option value="' + esc(x.name) + '" data-param="' +
      esc(x.param) + '">' + esc(x.label) + "</option>").join("");
    $("#scenario-name").value = sc.name; $("#scenario-param").value = sc.param; $("#scenario-seed").value = sc.seed;
    $("#accept-after").value = st.delays.accept_after; $("#pay-after").value = st.delays.pay_after;
    formsReady = true;
  }
  const unitSel = $("#po-unit"), chosen = unitSel.value;
  unitSel.innerHTML = st.units.map((u) => '<option value="' + esc(u.code) + '">' + esc(u.code) + "</option>").join("");
  if (chosen) unitSel.value = chosen;
}
async function refresh() {
  try {
    const r = await fetch("/trainer/api/state", {credentials: "same-origin"});
    if (r.status === 401) { location.reload(); return; }
    const text = await r.text();
    if (text !== last) { last = text; render(JSON.parse(text)); }
  } catch (e) { flash("Không kết nối được sandbox.", true); }
}
document.addEventListener("input", (e) => {
  if (e.target.classList.contains("reason-input")) drafts[e.target.closest("tr").dataset.id] = e.target.value;
});
document.addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-action]"); if (!b) return;
  const tr = b.closest("tr"), id = tr.dataset.id, action = b.dataset.action;
  const status = {accept: "accepted", reject: "rejected", paid: "paid"}[action];
  const body = {status};
  if (action === "reject") {
    body.reason = (tr.querySelector(".reason-input").value || "").trim();
    if (!body.reason) { flash("Hãy ghi lý do từ chối.", true); return; }
  }
  try { await call("submissions/" + encodeURIComponent(id) + "/status", body);
        delete drafts[id]; flash("Đã cập nhật hồ sơ " + tr.children[1].textContent + ": " + STATUS[status] + ".");
        last = ""; await refresh(); } catch (err) {}
});
$("#scenario-name").addEventListener("change", (e) => {
  $("#scenario-param").value = e.target.selectedOptions[0].dataset.param; });
$("#scenario-apply").addEventListener("click", async () => {
  const spec = $("#scenario-name").value + ($("#scenario-param").value ? ":" + $("#scenario-param").value : "");
  try { const s = await call("scenario", {scenario: spec, seed: $("#scenario-seed").value});
        flash("Đã chuyển kịch bản: " + s.label + "."); last = ""; await refresh(); } catch (err) {}
});
$("#delays-apply").addEventListener("click", async () => {
  try { await call("delays", {accept_after: Number($("#accept-after").value), pay_after: Number($("#pay-after").value)});
        flash("Đã lưu thời gian tự động chuyển trạng thái."); } catch (err) {}
});
$("#po-add").addEventListener("click", async () => {
  try { await call("payment-orders", {unit_code: $("#po-unit").value, number: $("#po-number").value,
          amount: Number(String($("#po-amount").value).replace(/[^0-9]/g, "")), date: $("#po-date").value});
        flash("Đã lưu Giấy rút dự toán."); last = ""; await refresh(); } catch (err) {}
});
$("#blk-add").addEventListener("click", async () => {
  try { await call("blocked-accounts", {account: $("#blk-account").value, note: $("#blk-note").value});
        flash("Đã thêm tài khoản bị phong tỏa."); last = ""; await refresh(); } catch (err) {}
});
refresh(); setInterval(refresh, 2000);
</script>
</body></html>"""
