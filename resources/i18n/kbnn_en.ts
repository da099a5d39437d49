<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="vi_VN">
<context>
    <name>CertificatePicker</name>
    <message>
        <source>Ký số</source>
        <translation>Digital signature</translation>
    </message>
    <message>
        <source>Chống chối bỏ</source>
        <translation>Non-repudiation</translation>
    </message>
    <message>
        <source>Mã hóa khóa</source>
        <translation>Key encipherment</translation>
    </message>
    <message>
        <source>Mã hóa dữ liệu</source>
        <translation>Data encipherment</translation>
    </message>
    <message>
        <source>Thỏa thuận khóa</source>
        <translation>Key agreement</translation>
    </message>
    <message>
        <source>Ký chứng thư</source>
        <translation>Certificate signing</translation>
    </message>
    <message>
        <source>Ký CRL</source>
        <translation>CRL signing</translation>
    </message>
    <message>
        <source>(không ghi)</source>
        <translation>(not stated)</translation>
    </message>
    <message>
        <source>✓ Đúng mã đơn vị (MNS)</source>
        <translation>✓ Unit code (MNS) matches</translation>
    </message>
    <message>
        <source>✓ Đã đăng ký với Kho bạc</source>
        <translation>✓ Registered with the Treasury</translation>
    </message>
    <message>
        <source>✓ Chống chối bỏ</source>
        <translation>✓ Non-repudiation</translation>
    </message>
    <message>
        <source>Đã dùng lần trước</source>
        <translation>Used last time</translation>
    </message>
    <message>
        <source>Người sở hữu</source>
        <translation>Holder</translation>
    </message>
    <message>
        <source>Tổ chức</source>
        <translation>Organisation</translation>
    </message>
    <message>
        <source>Mã định danh</source>
        <translation>Identifiers</translation>
    </message>
    <message>
        <source>Cấp bởi</source>
        <translation>Issued by</translation>
    </message>
    <message>
        <source>Số sê-ri</source>
        <translation>Serial number</translation>
    </message>
    <message>
        <source>Hiệu lực</source>
        <translation>Validity</translation>
    </message>
    <message>
        <source>Mục đích khóa</source>
        <translation>Key usage</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>Token</translation>
    </message>
    <message>
        <source>Đánh giá</source>
        <translation>Assessment</translation>
    </message>
    <message>
        <source>Chọn chứng thư số để ký — %s</source>
        <translation>Choose the signing certificate — %s</translation>
    </message>
    <message>
        <source>Ký với vai trò: %s</source>
        <translation>Signing as: %s</translation>
    </message>
    <message>
        <source>Chỉ hiện chứng thư số có khóa ký trên token. Chứng thư số không dùng được được hiện mờ kèm lý do.</source>
        <translation>Only certificates whose signing key is on the token are shown. Certificates that cannot be used are greyed out, with the reason.</translation>
    </message>
    <message>
        <source>Mã đơn vị của hồ sơ: %s.</source>
        <translation>Unit code of the dossier: %s.</translation>
    </message>
    <message>
        <source>Không có chứng thư số nào dùng được để ký. Hãy cắm token, hoặc liên hệ nhà cung cấp chữ ký số.</source>
        <translation>No certificate can be used to sign. Plug in the token, or contact your digital signature provider.</translation>
    </message>
    <message>
        <source>Chọn</source>
        <translation>Choose</translation>
    </message>
    <message>
        <source>Hủy</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>(không đọc được)</source>
        <translation>(unreadable)</translation>
    </message>
</context>
<context>
    <name>ClassroomPage</name>
    <message>
        <source>Tham gia lớp tập huấn</source>
        <translation>Join a training class</translation>
    </message>
    <message>
        <source>Chọn phiếu học viên (PDF) hoặc thư mục/tệp classroom.json mà giảng viên phát cho bạn.</source>
        <translation>Choose the trainee sheet (PDF) or the classroom.json folder/file your trainer gave you.</translation>
    </message>
    <message>
        <source>&amp;Chọn tệp…</source>
        <translation>&amp;Choose file…</translation>
    </message>
    <message>
        <source>&amp;Tham gia</source>
        <translation>&amp;Join</translation>
    </message>
    <message>
        <source>Chọn phiếu học viên</source>
        <translation>Choose the trainee sheet</translation>
    </message>
    <message>
        <source>Phiếu học viên (*.pdf *.json);;Mọi tệp (*)</source>
        <translation>Trainee sheet (*.pdf *.json);;All files (*)</translation>
    </message>
    <message>
        <source>Đang tạo token tập huấn…</source>
        <translation>Creating the training tokens…</translation>
    </message>
    <message>
        <source>Đã tham gia lớp tập huấn. Mở chế độ tập huấn để làm bài (kbnn-client training).</source>
        <translation>You joined the training class. Open training mode to do the exercises (kbnn-client training).</translation>
    </message>
    <message>
        <source>Không tham gia được: %1</source>
        <translation>Could not join: %1</translation>
    </message>
</context>
<context>
    <name>DiagnosticsDialog</name>
    <message>
        <source>Kiểm tra máy</source>
        <translation>Diagnostics</translation>
    </message>
    <message>
        <source>%v / %m mục</source>
        <translation>%v / %m checks</translation>
    </message>
    <message>
        <source>Kết quả</source>
        <translation>Result</translation>
    </message>
    <message>
        <source>Mục kiểm tra</source>
        <translation>Check</translation>
    </message>
    <message>
        <source>Tình trạng</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Đang kiểm tra…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <source>Chọn một mục để xem chi tiết và cách khắc phục.</source>
        <translation>Select a check to see its details and what to do.</translation>
    </message>
    <message>
        <source>&amp;Kiểm tra lại</source>
        <translation>&amp;Check again</translation>
    </message>
    <message>
        <source>&amp;Sao chép báo cáo</source>
        <translation>Co&amp;py report</translation>
    </message>
    <message>
        <source>&amp;Lưu gói hỗ trợ…</source>
        <translation>&amp;Save support bundle…</translation>
    </message>
    <message>
        <source>Đó&amp;ng</source>
        <translation>C&amp;lose</translation>
    </message>
    <message>
        <source>Đang kiểm tra máy… (các mục chạy song song, tối đa khoảng 30 giây)</source>
        <translation>Checking this computer… (checks run in parallel, about 30 seconds at most)</translation>
    </message>
    <message>
        <source>Đạt</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Cảnh báo</source>
        <translation>Warning</translation>
    </message>
    <message>
        <source>Lỗi</source>
        <translation>Failed</translation>
    </message>
    <message>
        <source>Đã kiểm tra %1 mục: %2 đạt, %3 cảnh báo, %4 lỗi.</source>
        <translation>%1 checks run: %2 OK, %3 warnings, %4 failed.</translation>
    </message>
    <message>
        <source>Không chạy được việc kiểm tra: %1</source>
        <translation>Could not run the checks: %1</translation>
    </message>
    <message>
        <source>Cách khắc phục:</source>
        <translation>What to do:</translation>
    </message>
    <message>
        <source>Đã sao chép báo cáo vào bộ nhớ tạm.</source>
        <translation>The report was copied to the clipboard.</translation>
    </message>
    <message>
        <source>Lưu gói hỗ trợ</source>
        <translation>Save support bundle</translation>
    </message>
    <message>
        <source>Tệp nén (*.zip)</source>
        <translation>Zip files (*.zip)</translation>
    </message>
    <message>
        <source>Không lưu được gói hỗ trợ: %1</source>
        <translation>Could not save the support bundle: %1</translation>
    </message>
    <message>
        <source>Đã lưu gói hỗ trợ: %1</source>
        <translation>Support bundle saved: %1</translation>
    </message>
</context>
<context>
    <name>DossierFilterBar</name>
    <message>
        <source>Lọc theo tháng</source>
        <translation>Filter by month</translation>
    </message>
    <message>
        <source>Lọc theo loại hồ sơ</source>
        <translation>Filter by kind of dossier</translation>
    </message>
    <message>
        <source>Lọc theo trạng thái</source>
        <translation>Filter by status</translation>
    </message>
    <message>
        <source>Tìm theo số hồ sơ hoặc số tiền…</source>
        <translation>Search by dossier number or amount…</translation>
    </message>
    <message>
        <source>Tìm hồ sơ</source>
        <translation>Find dossiers</translation>
    </message>
    <message>
        <source>&amp;Bỏ lọc</source>
        <translation>Clear &amp;filters</translation>
    </message>
    <message>
        <source>Mọi loại</source>
        <translation>All kinds</translation>
    </message>
    <message>
        <source>Mọi trạng thái</source>
        <translation>All statuses</translation>
    </message>
    <message>
        <source>&amp;Tháng:</source>
        <translation>&amp;Month:</translation>
    </message>
    <message>
        <source>&amp;Loại:</source>
        <translation>&amp;Kind:</translation>
    </message>
    <message>
        <source>T&amp;rạng thái:</source>
        <translation>S&amp;tatus:</translation>
    </message>
    <message>
        <source>Tìm (Ctrl+F):</source>
        <translation>Search (Ctrl+F):</translation>
    </message>
    <message>
        <source>Mọi tháng</source>
        <translation>All months</translation>
    </message>
</context>
<context>
    <name>DossierModel</name>
    <message>
        <source>Số</source>
        <translation>Number</translation>
    </message>
    <message>
        <source>Loại</source>
        <translation>Kind</translation>
    </message>
    <message>
        <source>Kỳ</source>
        <translation>Period</translation>
    </message>
    <message>
        <source>Tổng tiền</source>
        <translation>Total</translation>
    </message>
    <message>
        <source>Trạng thái</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Cập nhật</source>
        <translation>Updated</translation>
    </message>
</context>
<context>
    <name>LogDialog</name>
    <message>
        <source>Nhật ký hoạt động</source>
        <translation>Activity log</translation>
    </message>
    <message>
        <source>Lọc theo nội dung…</source>
        <translation>Filter by text…</translation>
    </message>
    <message>
        <source>Chỉ &amp;cảnh báo và lỗi</source>
        <translation>Only &amp;warnings and errors</translation>
    </message>
    <message>
        <source>&amp;Lọc:</source>
        <translation>&amp;Filter:</translation>
    </message>
    <message>
        <source>Đọc &amp;lại</source>
        <translation>&amp;Reload</translation>
    </message>
    <message>
        <source>&amp;Mở thư mục nhật ký</source>
        <translation>&amp;Open log folder</translation>
    </message>
    <message>
        <source>Đó&amp;ng</source>
        <translation>C&amp;lose</translation>
    </message>
    <message>
        <source>Không đọc được nhật ký: %1</source>
        <translation>Could not read the log: %1</translation>
    </message>
    <message>
        <source>%1 / %2 dòng gần nhất · %3</source>
        <translation>%1 / %2 latest lines · %3</translation>
    </message>
</context>
<context>
    <name>LoginPage</name>
    <message>
        <source>Tài khoản dịch vụ công Kho bạc</source>
        <translation>Treasury online service account</translation>
    </message>
    <message>
        <source>Mật khẩu được lưu trong kho khóa của hệ điều hành, không ghi vào tệp.</source>
        <translation>Passwords are kept in the operating system&apos;s keyring, never written to a file.</translation>
    </message>
    <message>
        <source>Đă&amp;ng nhập</source>
        <translation>&amp;Log in</translation>
    </message>
    <message>
        <source>&amp;Tên đăng nhập:</source>
        <translation>&amp;User name:</translation>
    </message>
    <message>
        <source>&amp;Mật khẩu:</source>
        <translation>&amp;Password:</translation>
    </message>
    <message>
        <source>Đang đăng nhập…</source>
        <translation>Logging in…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>(chưa chạy)</source>
        <translation>(not running)</translation>
    </message>
    <message>
        <source>CHẾ ĐỘ TẬP HUẤN — không có giá trị thanh toán thật; Kho bạc mô phỏng tại %1</source>
        <translation>TRAINING MODE — no real payments; simulated treasury at %1</translation>
    </message>
    <message>
        <source>Cảnh báo chế độ tập huấn</source>
        <translation>Training mode warning</translation>
    </message>
    <message>
        <source>Ký số…</source>
        <translation>Sign…</translation>
    </message>
    <message>
        <source>Ký hồ sơ đang chọn bằng chữ ký số trên token</source>
        <translation>Sign the selected dossier with the digital signature on the token</translation>
    </message>
    <message>
        <source>Gửi Kho bạc</source>
        <translation>Send to treasury</translation>
    </message>
    <message>
        <source>Đưa hồ sơ đã ký đủ vào hàng chờ và gửi Kho bạc</source>
        <translation>Queue the fully signed dossier and send it to the treasury</translation>
    </message>
    <message>
        <source>Làm mới trạng thái</source>
        <translation>Refresh statuses</translation>
    </message>
    <message>
        <source>Gửi các hồ sơ đang chờ và cập nhật trạng thái từ Kho bạc</source>
        <translation>Send waiting dossiers and update statuses from the treasury</translation>
    </message>
    <message>
        <source>Xem trong &amp;hàng đợi gửi</source>
        <translation>Show in the &amp;outbox</translation>
    </message>
    <message>
        <source>Trạng thái gửi, lý do, biên nhận của hồ sơ này</source>
        <translation>Sending state, reason and receipt of this dossier</translation>
    </message>
    <message>
        <source>&amp;Tìm hồ sơ</source>
        <translation>&amp;Find dossiers</translation>
    </message>
    <message>
        <source>Tìm theo số hồ sơ hoặc số tiền</source>
        <translation>Search by dossier number or amount</translation>
    </message>
    <message>
        <source>&amp;Bỏ lọc</source>
        <translation>Clear &amp;filters</translation>
    </message>
    <message>
        <source>Hiện mọi hồ sơ</source>
        <translation>Show every dossier</translation>
    </message>
    <message>
        <source>&amp;Hồ sơ thanh toán</source>
        <translation>&amp;Payment dossiers</translation>
    </message>
    <message>
        <source>Hàng đợi &amp;gửi Kho bạc</source>
        <translation>Treasury &amp;outbox</translation>
    </message>
    <message>
        <source>&amp;Thông báo…</source>
        <translation>&amp;Notices…</translation>
    </message>
    <message>
        <source>Các thay đổi trạng thái đã báo trong phiên làm việc</source>
        <translation>Status changes announced in this session</translation>
    </message>
    <message>
        <source>&amp;Thiết lập ban đầu…</source>
        <translation>First-run &amp;setup…</translation>
    </message>
    <message>
        <source>Máy chủ, đơn vị, tài khoản, token</source>
        <translation>Server, unit, account, tokens</translation>
    </message>
    <message>
        <source>&amp;Cài đặt…</source>
        <translation>Se&amp;ttings…</translation>
    </message>
    <message>
        <source>Máy chủ, proxy, token, ngôn ngữ, sao lưu</source>
        <translation>Server, proxy, tokens, language, backup</translation>
    </message>
    <message>
        <source>&amp;Kiểm tra máy…</source>
        <translation>&amp;Diagnostics…</translation>
    </message>
    <message>
        <source>Tìm nguyên nhân khi không ký hoặc không gửi được</source>
        <translation>Find out why signing or sending does not work</translation>
    </message>
    <message>
        <source>&amp;Nhật ký…</source>
        <translation>&amp;Log…</translation>
    </message>
    <message>
        <source>Xem nhật ký hoạt động của phần mềm</source>
        <translation>View the application&apos;s activity log</translation>
    </message>
    <message>
        <source>Danh sách &amp;cán bộ…</source>
        <translation>&amp;Staff register…</translation>
    </message>
    <message>
        <source>Cán bộ, tài khoản, hệ số lương</source>
        <translation>Staff, accounts, salary coefficients</translation>
    </message>
    <message>
        <source>&amp;Danh mục…</source>
        <translation>&amp;Catalogues…</translation>
    </message>
    <message>
        <source>Ngân hàng, mục lục ngân sách</source>
        <translation>Banks, budget classification</translation>
    </message>
    <message>
        <source>&amp;Giới thiệu</source>
        <translation>&amp;About</translation>
    </message>
    <message>
        <source>Thoát</source>
        <translation>Quit</translation>
    </message>
    <message>
        <source>&amp;Tệp</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <source>&amp;Hồ sơ</source>
        <translation>&amp;Dossier</translation>
    </message>
    <message>
        <source>&amp;Xem</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <source>&amp;Danh mục</source>
        <translation>&amp;Catalogues</translation>
    </message>
    <message>
        <source>&amp;Công cụ</source>
        <translation>&amp;Tools</translation>
    </message>
    <message>
        <source>Trợ &amp;giúp</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <source>Thao tác</source>
        <translation>Actions</translation>
    </message>
    <message>
        <source>Danh sách hồ sơ thanh toán</source>
        <translation>List of payment dossiers</translation>
    </message>
    <message>
        <source>&lt;b&gt;Hồ sơ thanh toán&lt;/b&gt;</source>
        <translation>&lt;b&gt;Payment dossiers&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Chọn một hồ sơ để xem.</source>
        <translation>Select a dossier to view it.</translation>
    </message>
    <message>
        <source>Vai trò</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>Người ký</source>
        <translation>Signer</translation>
    </message>
    <message>
        <source>Thời gian ký</source>
        <translation>Signed at</translation>
    </message>
    <message>
        <source>Kết quả kiểm tra</source>
        <translation>Verification</translation>
    </message>
    <message>
        <source>Ghi chú</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>&lt;b&gt;Chữ ký số&lt;/b&gt;</source>
        <translation>&lt;b&gt;Digital signatures&lt;/b&gt;</translation>
    </message>
    <message>
        <source>%1 hồ sơ</source>
        <translation>%1 dossiers</translation>
    </message>
    <message>
        <source>%1 / %2 hồ sơ</source>
        <translation>%1 / %2 dossiers</translation>
    </message>
    <message>
        <source>Đơn vị: %1 (%2)</source>
        <translation>Unit: %1 (%2)</translation>
    </message>
    <message>
        <source>Đơn vị: (chưa khai báo)</source>
        <translation>Unit: (not set up)</translation>
    </message>
    <message>
        <source>Kho bạc: đang kiểm tra…</source>
        <translation>Treasury: checking…</translation>
    </message>
    <message>
        <source>Token: đang kiểm tra…</source>
        <translation>Token: checking…</translation>
    </message>
    <message>
        <source>Chờ gửi: %1</source>
        <translation>To send: %1</translation>
    </message>
    <message>
        <source>Giới thiệu</source>
        <translation>About</translation>
    </message>
    <message>
        <source>KBNN Client %1
Lập, ký số và gửi hồ sơ thanh toán tới Kho bạc Nhà nước.</source>
        <translation>KBNN Client %1
Prepare, digitally sign and send payment dossiers to the State Treasury.</translation>
    </message>
    <message>
        <source>Token: chưa sẵn sàng</source>
        <translation>Token: not ready</translation>
    </message>
    <message>
        <source>Token: lỗi trình điều khiển</source>
        <translation>Token: driver error</translation>
    </message>
    <message>
        <source>Token: chưa cắm</source>
        <translation>Token: not plugged in</translation>
    </message>
    <message>
        <source>Token: %1</source>
        <translation>Token: %1</translation>
    </message>
    <message>
        <source>Kho bạc: không kết nối được (ngoại tuyến)</source>
        <translation>Treasury: cannot connect (offline)</translation>
    </message>
    <message>
        <source>Kho bạc: chưa đăng nhập</source>
        <translation>Treasury: not logged in</translation>
    </message>
    <message>
        <source>Kho bạc: trực tuyến</source>
        <translation>Treasury: online</translation>
    </message>
    <message>
        <source>Kho bạc: chưa rõ</source>
        <translation>Treasury: unknown</translation>
    </message>
    <message>
        <source>Kho bạc: lỗi khi cập nhật</source>
        <translation>Treasury: update failed</translation>
    </message>
    <message>
        <source>Hồ sơ số %1: %2</source>
        <translation>Dossier %1: %2</translation>
    </message>
    <message>
        <source>%1 hồ sơ đổi trạng thái</source>
        <translation>%1 dossiers changed status</translation>
    </message>
    <message>
        <source>Hồ sơ số %1</source>
        <translation>Dossier %1</translation>
    </message>
    <message>
        <source>Đang tải hồ sơ…</source>
        <translation>Loading the dossier…</translation>
    </message>
    <message>
        <source>Không mở được hồ sơ:</source>
        <translation>Could not open the dossier:</translation>
    </message>
    <message>
        <source>số %1</source>
        <translation>no. %1</translation>
    </message>
    <message>
        <source>kỳ %1</source>
        <translation>period %1</translation>
    </message>
    <message>
        <source>Tổng tiền: %1 đồng (%2)</source>
        <translation>Total: %1 VND (%2)</translation>
    </message>
    <message>
        <source>Gói hồ sơ KHÔNG hợp lệ:</source>
        <translation>The package is NOT valid:</translation>
    </message>
    <message>
        <source>Bước tiếp theo: %1 ký số.</source>
        <translation>Next step: %1 signs.</translation>
    </message>
    <message>
        <source>Đã đủ chữ ký của Kế toán trưởng và Thủ trưởng đơn vị.</source>
        <translation>Signed by both the chief accountant and the head of unit.</translation>
    </message>
    <message>
        <source>Ký (%1)…</source>
        <translation>Sign (%1)…</translation>
    </message>
    <message>
        <source>Đóng</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>Đang đưa hồ sơ vào hàng chờ gửi…</source>
        <translation>Queuing the dossier for sending…</translation>
    </message>
    <message>
        <source>Hồ sơ số %1 đã vào hàng chờ gửi Kho bạc.</source>
        <translation>Dossier %1 is queued for the treasury.</translation>
    </message>
    <message>
        <source>Không gửi được</source>
        <translation>Could not send</translation>
    </message>
    <message>
        <source>Đổi ngôn ngữ</source>
        <translation>Change language</translation>
    </message>
    <message>
        <source>Mở lại cửa sổ bằng ngôn ngữ mới ngay bây giờ?</source>
        <translation>Reopen the window in the new language now?</translation>
    </message>
    <message>
        <source>Đang làm việc</source>
        <translation>Active</translation>
    </message>
    <message>
        <source>Đã nghỉ</source>
        <translation>Left</translation>
    </message>
    <message>
        <source>Danh sách cán bộ</source>
        <translation>Staff register</translation>
    </message>
    <message>
        <source>Mã</source>
        <translation>Code</translation>
    </message>
    <message>
        <source>Họ và tên</source>
        <translation>Full name</translation>
    </message>
    <message>
        <source>Số tài khoản</source>
        <translation>Account number</translation>
    </message>
    <message>
        <source>Ngân hàng</source>
        <translation>Bank</translation>
    </message>
    <message>
        <source>Tình trạng</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Danh mục</source>
        <translation>Catalogues</translation>
    </message>
    <message>
        <source>Tên viết tắt</source>
        <translation>Short name</translation>
    </message>
    <message>
        <source>Tên đầy đủ</source>
        <translation>Full name</translation>
    </message>
    <message>
        <source>Mã BIN</source>
        <translation>BIN</translation>
    </message>
    <message>
        <source>Tên gọi khác</source>
        <translation>Other names</translation>
    </message>
    <message>
        <source>Danh mục ngân hàng</source>
        <translation>Bank catalogue</translation>
    </message>
</context>
<context>
    <name>NoticeBar</name>
    <message>
        <source>Ẩn thông báo</source>
        <translation>Hide notice</translation>
    </message>
</context>
<context>
    <name>NoticeHistoryDialog</name>
    <message>
        <source>Thông báo</source>
        <translation>Notices</translation>
    </message>
    <message>
        <source>Chưa có thông báo nào trong phiên làm việc này.</source>
        <translation>No notices in this session yet.</translation>
    </message>
</context>
<context>
    <name>OutboxModel</name>
    <message>
        <source>Mục</source>
        <translation>Item</translation>
    </message>
    <message>
        <source>Số hồ sơ</source>
        <translation>Dossier number</translation>
    </message>
    <message>
        <source>Loại</source>
        <translation>Kind</translation>
    </message>
    <message>
        <source>Tổng tiền</source>
        <translation>Total</translation>
    </message>
    <message>
        <source>Trạng thái gửi</source>
        <translation>Sending state</translation>
    </message>
    <message>
        <source>Trạng thái Kho bạc</source>
        <translation>Treasury status</translation>
    </message>
    <message>
        <source>Lý do / lỗi gần nhất</source>
        <translation>Reason / last error</translation>
    </message>
    <message>
        <source>Số lần thử</source>
        <translation>Attempts</translation>
    </message>
    <message>
        <source>Lần thử tiếp</source>
        <translation>Next try</translation>
    </message>
</context>
<context>
    <name>OutboxView</name>
    <message>
        <source>Gửi &amp;ngay</source>
        <translation>Send &amp;now</translation>
    </message>
    <message>
        <source>Gửi mục đang chọn ngay, không chờ lần thử tiếp (Ctrl+Enter)</source>
        <translation>Send the selected item now, without waiting for the next try (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>&amp;Thử lại</source>
        <translation>&amp;Retry</translation>
    </message>
    <message>
        <source>Đưa mục cần xử lý trở lại hàng chờ (cùng khóa, không gửi trùng)</source>
        <translation>Put the item back in the queue (same key: never sent twice)</translation>
    </message>
    <message>
        <source>&amp;Hủy gửi</source>
        <translation>&amp;Cancel sending</translation>
    </message>
    <message>
        <source>Rút hồ sơ khỏi hàng chờ (chỉ khi Kho bạc chắc chắn chưa nhận)</source>
        <translation>Withdraw the dossier from the queue (only while the treasury certainly does not have it)</translation>
    </message>
    <message>
        <source>&amp;Mở gói hồ sơ</source>
        <translation>&amp;Open package</translation>
    </message>
    <message>
        <source>&amp;Lưu biên nhận…</source>
        <translation>Save &amp;receipt…</translation>
    </message>
    <message>
        <source>Gửi &amp;tất cả ngay</source>
        <translation>Send &amp;all now</translation>
    </message>
    <message>
        <source>Gửi mọi hồ sơ đang chờ, không chờ lần thử tiếp</source>
        <translation>Send every waiting dossier without waiting for the next try</translation>
    </message>
    <message>
        <source>%v / %m hồ sơ</source>
        <translation>%v / %m dossiers</translation>
    </message>
    <message>
        <source>&amp;Dừng</source>
        <translation>&amp;Stop</translation>
    </message>
    <message>
        <source>Dừng sau hồ sơ đang gửi (hồ sơ còn lại vẫn nằm trong hàng chờ)</source>
        <translation>Stop after the dossier being sent (the rest stay in the outbox)</translation>
    </message>
    <message>
        <source>Chọn một mục để xem lịch sử trạng thái.</source>
        <translation>Select an item to see its status history.</translation>
    </message>
    <message>
        <source>Lịch sử trạng thái</source>
        <translation>Status history</translation>
    </message>
    <message>
        <source>&lt;b&gt;Hàng đợi gửi Kho bạc&lt;/b&gt;</source>
        <translation>&lt;b&gt;Treasury outbox&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;Lịch sử trạng thái&lt;/b&gt;</source>
        <translation>&lt;b&gt;Status history&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Chờ gửi: %1 · Cần xử lý: %2 · Đang theo dõi: %3</source>
        <translation>To send: %1 · Needs attention: %2 · Being followed: %3</translation>
    </message>
    <message>
        <source>Hồ sơ số %1 — khóa gửi %2</source>
        <translation>Dossier %1 — idempotency key %2</translation>
    </message>
    <message>
        <source>Mã hồ sơ tại Kho bạc: %1</source>
        <translation>Treasury submission id: %1</translation>
    </message>
    <message>
        <source>Lỗi gần nhất: %1</source>
        <translation>Last error: %1</translation>
    </message>
    <message>
        <source>Đã gửi hồ sơ số %1 tới Kho bạc.</source>
        <translation>Dossier %1 was sent to the treasury.</translation>
    </message>
    <message>
        <source>Không gửi được</source>
        <translation>Could not send</translation>
    </message>
    <message>
        <source>Đã gửi %1 hồ sơ; còn chờ %2.</source>
        <translation>%1 dossiers sent; %2 still waiting.</translation>
    </message>
    <message>
        <source>Hồ sơ số %1 đã trở lại hàng chờ gửi.</source>
        <translation>Dossier %1 is back in the outbox.</translation>
    </message>
    <message>
        <source>Không thử lại được</source>
        <translation>Could not retry</translation>
    </message>
    <message>
        <source>Rút hồ sơ số %1 (%2) khỏi hàng chờ gửi? Hồ sơ trở lại trạng thái «đã ký đủ», có thể gửi lại sau.</source>
        <translation>Withdraw dossier %1 (%2) from the outbox? It goes back to &quot;fully signed&quot; and can be sent later.</translation>
    </message>
    <message>
        <source>Hủy gửi</source>
        <translation>Cancel sending</translation>
    </message>
    <message>
        <source>Đã hủy gửi hồ sơ số %1.</source>
        <translation>Sending of dossier %1 was cancelled.</translation>
    </message>
    <message>
        <source>Không hủy được</source>
        <translation>Could not cancel</translation>
    </message>
    <message>
        <source>Đã lưu gói hồ sơ tại %1</source>
        <translation>Package saved at %1</translation>
    </message>
    <message>
        <source>Không mở được gói hồ sơ</source>
        <translation>Could not open the package</translation>
    </message>
    <message>
        <source>Chưa có biên nhận</source>
        <translation>No receipt yet</translation>
    </message>
    <message>
        <source>Kho bạc chưa gửi biên nhận thanh toán cho hồ sơ này.</source>
        <translation>The treasury has not sent a payment receipt for this dossier yet.</translation>
    </message>
    <message>
        <source>Tệp PDF (*.pdf)</source>
        <translation>PDF files (*.pdf)</translation>
    </message>
    <message>
        <source>Mọi tệp (*)</source>
        <translation>All files (*)</translation>
    </message>
    <message>
        <source>Lưu biên nhận thanh toán</source>
        <translation>Save payment receipt</translation>
    </message>
    <message>
        <source>Không lưu được biên nhận</source>
        <translation>Could not save the receipt</translation>
    </message>
    <message>
        <source>Đã lưu biên nhận vào %1</source>
        <translation>Receipt saved to %1</translation>
    </message>
    <message>
        <source>Không đọc được biên nhận</source>
        <translation>Could not read the receipt</translation>
    </message>
</context>
<context>
    <name>PackageView</name>
    <message>
        <source>Tệp quá lớn để là một gói hồ sơ (%s MiB).</source>
        <translation>The file is too large to be a dossier package (%s MiB).</translation>
    </message>
    <message>
        <source>Gói hồ sơ — %s</source>
        <translation>Dossier package — %s</translation>
    </message>
    <message>
        <source>&lt;b&gt;Chữ ký số&lt;/b&gt;</source>
        <translation>&lt;b&gt;Digital signatures&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;Tệp đính kèm&lt;/b&gt;</source>
        <translation>&lt;b&gt;Attachments&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Bấm đúp để lưu tệp này ra máy</source>
        <translation>Double-click to save this file</translation>
    </message>
    <message>
        <source>(không có tệp đính kèm)</source>
        <translation>(no attachments)</translation>
    </message>
    <message>
        <source>Không hiển thị được tệp document.pdf của gói (thiếu hoặc hỏng): không xem được nội dung đã ký.</source>
        <translation>The package&apos;s document.pdf cannot be shown (missing or damaged): the signed content cannot be viewed.</translation>
    </message>
    <message>
        <source>số %s</source>
        <translation>no. %s</translation>
    </message>
    <message>
        <source>Lưu tệp đính kèm</source>
        <translation>Save attachment</translation>
    </message>
    <message>
        <source>Đã lưu %s.</source>
        <translation>Saved %s.</translation>
    </message>
    <message>
        <source>Đã mở gói %s.</source>
        <translation>Opened package %s.</translation>
    </message>
    <message>
        <source>Không mở được tệp %s: %s</source>
        <translation>Could not open %s: %s</translation>
    </message>
    <message>
        <source>Không mở được gói hồ sơ</source>
        <translation>Could not open the dossier package</translation>
    </message>
    <message>
        <source>Mở gói hồ sơ</source>
        <translation>Open dossier package</translation>
    </message>
    <message>
        <source>Gói hồ sơ ký số (*.asice *.sce);;Mọi tệp (*)</source>
        <translation>Signed dossier packages (*.asice *.sce);;All files (*)</translation>
    </message>
    <message>
        <source>&amp;Tệp</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <source>&amp;Mở gói hồ sơ (.asice)…</source>
        <translation>&amp;Open dossier package (.asice)…</translation>
    </message>
    <message>
        <source>Mở một gói hồ sơ đã ký để xem nội dung và kiểm tra chữ ký số</source>
        <translation>Open a signed dossier package to see its content and check its signatures</translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <source>Số lần thử PIN: bình thường (chưa ghi nhận lần nhập sai nào).</source>
        <translation>PIN tries: normal (no wrong PIN recorded).</translation>
    </message>
    <message>
        <source>Số lần thử PIN: CÒN ÍT — token đã ghi nhận nhập sai PIN. Hãy kiểm tra kỹ trước khi nhập.</source>
        <translation>PIN tries: LOW — the token has recorded a wrong PIN. Check carefully before typing.</translation>
    </message>
    <message>
        <source>Số lần thử PIN: LẦN CUỐI CÙNG — nhập sai lần nữa, token sẽ bị khóa.</source>
        <translation>PIN tries: FINAL TRY — one more wrong PIN locks the token.</translation>
    </message>
    <message>
        <source>Mã PIN của token đã bị KHÓA. Hãy liên hệ nhà cung cấp chữ ký số để mở khóa bằng mã PUK/SO PIN.</source>
        <translation>The token&apos;s PIN is LOCKED. Contact your digital signature provider to unlock it with the PUK/SO PIN.</translation>
    </message>
    <message>
        <source>Nhập mã PIN của token</source>
        <translation>Enter the token PIN</translation>
    </message>
    <message>
        <source>Ký với vai trò: %s</source>
        <translation>Signing as: %s</translation>
    </message>
    <message>
        <source>Người ký: %s</source>
        <translation>Signer: %s</translation>
    </message>
    <message>
        <source>Token: %s</source>
        <translation>Token: %s</translation>
    </message>
    <message>
        <source>Nhập PIN trên bàn phím của token</source>
        <translation>Enter the PIN on the token&apos;s keypad</translation>
    </message>
    <message>
        <source>Bấm «Tiếp tục», rồi nhập mã PIN trên thiết bị (bàn phím của token hoặc cửa sổ của nhà cung cấp) khi được hỏi.</source>
        <translation>Press “Continue”, then enter the PIN on the device (the token&apos;s keypad or the vendor&apos;s window) when asked.</translation>
    </message>
    <message>
        <source>Mã PIN:</source>
        <translation>PIN:</translation>
    </message>
    <message>
        <source>Tiếp tục</source>
        <translation>Continue</translation>
    </message>
    <message>
        <source>Ký</source>
        <translation>Sign</translation>
    </message>
    <message>
        <source>Đóng</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>Hủy</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>ServerPage</name>
    <message>
        <source>Máy chủ Kho bạc</source>
        <translation>Treasury server</translation>
    </message>
    <message>
        <source>Địa chỉ dịch vụ công của Kho bạc. Nếu bộ cài đã điền sẵn, chỉ cần bấm «Kiểm tra».</source>
        <translation>The address of the treasury&apos;s online service. If the installer filled it in, just press &quot;Check&quot;.</translation>
    </message>
    <message>
        <source>(không bắt buộc)</source>
        <translation>(optional)</translation>
    </message>
    <message>
        <source>&amp;Kiểm tra</source>
        <translation>&amp;Check</translation>
    </message>
    <message>
        <source>Địa chỉ &amp;máy chủ:</source>
        <translation>Server &amp;address:</translation>
    </message>
    <message>
        <source>Tệp chứng chỉ &amp;CA:</source>
        <translation>&amp;CA certificate file:</translation>
    </message>
    <message>
        <source>Đã điền sẵn theo tệp cấu hình của bộ cài: %1</source>
        <translation>Filled in from the installer&apos;s configuration file: %1</translation>
    </message>
    <message>
        <source>Đang kết nối…</source>
        <translation>Connecting…</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Cài đặt</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>&amp;Kết nối</source>
        <translation>&amp;Connection</translation>
    </message>
    <message>
        <source>&amp;Token</source>
        <translation>&amp;Token</translation>
    </message>
    <message>
        <source>&amp;Hiển thị</source>
        <translation>&amp;Display</translation>
    </message>
    <message>
        <source>&amp;Dữ liệu</source>
        <translation>D&amp;ata</translation>
    </message>
    <message>
        <source>Chọn…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <source>(chỉ dùng kho chứng chỉ của hệ điều hành)</source>
        <translation>(only the operating system&apos;s certificate store)</translation>
    </message>
    <message>
        <source>Theo cấu hình của hệ điều hành</source>
        <translation>As the operating system is configured</translation>
    </message>
    <message>
        <source>Không dùng proxy</source>
        <translation>No proxy</translation>
    </message>
    <message>
        <source>Proxy thủ công</source>
        <translation>Manual proxy</translation>
    </message>
    <message>
        <source>(để trống: giữ mật khẩu đã lưu)</source>
        <translation>(leave empty to keep the saved password)</translation>
    </message>
    <message>
        <source> giây</source>
        <translation> seconds</translation>
    </message>
    <message>
        <source>Địa chỉ máy chủ &amp;Kho bạc:</source>
        <translation>&amp;Treasury server address:</translation>
    </message>
    <message>
        <source>Tệp chứng chỉ &amp;CA:</source>
        <translation>&amp;CA certificate file:</translation>
    </message>
    <message>
        <source>Chọn tệp chứng chỉ CA</source>
        <translation>Choose the CA certificate file</translation>
    </message>
    <message>
        <source>Chứng chỉ (*.pem *.crt *.cer *.der)</source>
        <translation>Certificates (*.pem *.crt *.cer *.der)</translation>
    </message>
    <message>
        <source>&amp;Proxy:</source>
        <translation>&amp;Proxy:</translation>
    </message>
    <message>
        <source>Địa chỉ p&amp;roxy:</source>
        <translation>P&amp;roxy address:</translation>
    </message>
    <message>
        <source>Tên đăng nhập pro&amp;xy:</source>
        <translation>Pro&amp;xy user name:</translation>
    </message>
    <message>
        <source>Mật khẩu proxy:</source>
        <translation>Proxy password:</translation>
    </message>
    <message>
        <source>Chờ &amp;kết nối:</source>
        <translation>Connect &amp;timeout:</translation>
    </message>
    <message>
        <source>Chờ &amp;trả lời:</source>
        <translation>&amp;Read timeout:</translation>
    </message>
    <message>
        <source>Mật khẩu được lưu trong kho khóa của hệ điều hành, không ghi vào tệp.</source>
        <translation>Passwords are kept in the operating system&apos;s keyring, never written to a file.</translation>
    </message>
    <message>
        <source>(tự tìm trình điều khiển token đã cài)</source>
        <translation>(find the installed token driver automatically)</translation>
    </message>
    <message>
        <source>Thư viện &amp;PKCS#11:</source>
        <translation>&amp;PKCS#11 library:</translation>
    </message>
    <message>
        <source>Chọn thư viện PKCS#11 của token</source>
        <translation>Choose the token&apos;s PKCS#11 library</translation>
    </message>
    <message>
        <source>Thư viện (*.dll *.so *.dylib);;Mọi tệp (*)</source>
        <translation>Libraries (*.dll *.so *.dylib);;All files (*)</translation>
    </message>
    <message>
        <source>(tự tìm)</source>
        <translation>(automatic)</translation>
    </message>
    <message>
        <source>(không dùng được với bản phần mềm này)</source>
        <translation>(cannot be used by this build)</translation>
    </message>
    <message>
        <source>Đã &amp;tìm thấy trên máy:</source>
        <translation>&amp;Found on this computer:</translation>
    </message>
    <message>
        <source>Thường không cần chọn: phần mềm tự tìm trình điều khiển của các nhà cung cấp chữ ký số. Chỉ chọn khi «Kiểm tra máy» báo không tìm thấy token.</source>
        <translation>Usually not needed: the application finds the drivers of the signature providers by itself. Choose one only when &quot;Diagnostics&quot; finds no token.</translation>
    </message>
    <message>
        <source>linh (một trăm linh năm)</source>
        <translation>linh (một trăm linh năm)</translation>
    </message>
    <message>
        <source>lẻ (một trăm lẻ năm)</source>
        <translation>lẻ (một trăm lẻ năm)</translation>
    </message>
    <message>
        <source>tư (hai mươi tư)</source>
        <translation>tư (hai mươi tư)</translation>
    </message>
    <message>
        <source>bốn (hai mươi bốn)</source>
        <translation>bốn (hai mươi bốn)</translation>
    </message>
    <message>
        <source>nghìn</source>
        <translation>nghìn</translation>
    </message>
    <message>
        <source>ngàn</source>
        <translation>ngàn</translation>
    </message>
    <message>
        <source>&amp;Ngôn ngữ giao diện:</source>
        <translation>Interface &amp;language:</translation>
    </message>
    <message>
        <source>Ngôn ngữ mới có hiệu lực khi mở lại phần mềm.</source>
        <translation>A new language takes effect when the application is opened again.</translation>
    </message>
    <message>
        <source>&lt;b&gt;Đọc số tiền bằng chữ&lt;/b&gt;</source>
        <translation>&lt;b&gt;Amounts in words (Vietnamese)&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Số 0 ở hàng &amp;chục:</source>
        <translation>Zero in the &amp;tens:</translation>
    </message>
    <message>
        <source>Số 4 sau «&amp;mươi»:</source>
        <translation>Four after &quot;&amp;mươi&quot;:</translation>
    </message>
    <message>
        <source>Hàng ng&amp;hìn:</source>
        <translation>T&amp;housands:</translation>
    </message>
    <message>
        <source>Ví dụ:</source>
        <translation>Example:</translation>
    </message>
    <message>
        <source>Thư mục dữ liệu: %1</source>
        <translation>Data folder: %1</translation>
    </message>
    <message>
        <source>&amp;Sao lưu dữ liệu…</source>
        <translation>&amp;Back up data…</translation>
    </message>
    <message>
        <source>&amp;Khôi phục từ bản sao lưu…</source>
        <translation>&amp;Restore from a backup…</translation>
    </message>
    <message>
        <source>Bản sao lưu gồm cơ sở dữ liệu (chép nhất quán ngay cả khi phần mềm đang chạy) và tệp cấu hình. Mật khẩu không nằm trong bản sao lưu.</source>
        <translation>A backup holds the database (copied consistently even while the application runs) and the settings file. Passwords are not in the backup.</translation>
    </message>
    <message>
        <source>Sao lưu dữ liệu</source>
        <translation>Back up data</translation>
    </message>
    <message>
        <source>Tệp nén (*.zip)</source>
        <translation>Zip files (*.zip)</translation>
    </message>
    <message>
        <source>Đang sao lưu…</source>
        <translation>Backing up…</translation>
    </message>
    <message>
        <source>Không sao lưu được: %1</source>
        <translation>Backup failed: %1</translation>
    </message>
    <message>
        <source>Đã sao lưu %1 hồ sơ vào %2</source>
        <translation>Backed up %1 dossiers to %2</translation>
    </message>
    <message>
        <source>Chọn bản sao lưu</source>
        <translation>Choose a backup</translation>
    </message>
    <message>
        <source>Khôi phục dữ liệu</source>
        <translation>Restore data</translation>
    </message>
    <message>
        <source>Dữ liệu hiện tại sẽ được thay bằng bản sao lưu (bản hiện tại được giữ lại bên cạnh, đuôi .bak). Phần mềm sẽ đóng để khôi phục, rồi bạn mở lại. Tiếp tục?</source>
        <translation>The current data will be replaced by the backup (the current files are kept beside it, ending in .bak). The application closes to restore; then open it again. Continue?</translation>
    </message>
    <message>
        <source>Hãy đóng phần mềm rồi chạy: kbnn-client restore %1</source>
        <translation>Close the application, then run: kbnn-client restore %1</translation>
    </message>
</context>
<context>
    <name>SetupWizard</name>
    <message>
        <source>Máy chủ Kho bạc</source>
        <translation>Treasury server</translation>
    </message>
    <message>
        <source>Thông tin đơn vị</source>
        <translation>Unit profile</translation>
    </message>
    <message>
        <source>Tài khoản dịch vụ công Kho bạc</source>
        <translation>Treasury online service account</translation>
    </message>
    <message>
        <source>Chữ ký số của Kế toán trưởng</source>
        <translation>Chief accountant&apos;s signature</translation>
    </message>
    <message>
        <source>Chữ ký số của Thủ trưởng đơn vị</source>
        <translation>Head of unit&apos;s signature</translation>
    </message>
    <message>
        <source>Cần làm: %1</source>
        <translation>To do: %1</translation>
    </message>
    <message>
        <source>Thiết lập KBNN Client</source>
        <translation>KBNN Client setup</translation>
    </message>
</context>
<context>
    <name>SignFlow</name>
    <message>
        <source>… và %d cảnh báo khác.</source>
        <translation>… and %d more warning(s).</translation>
    </message>
    <message>
        <source>Xác nhận cảnh báo</source>
        <translation>Confirm warnings</translation>
    </message>
    <message>
        <source>Hồ sơ còn %d cảnh báo. Bạn đã kiểm tra và vẫn muốn ký?</source>
        <translation>The dossier still has %d warning(s). Have you checked them and still want to sign?</translation>
    </message>
    <message>
        <source>Đã kiểm tra, vẫn ký</source>
        <translation>Checked, sign anyway</translation>
    </message>
    <message>
        <source>Quay lại</source>
        <translation>Go back</translation>
    </message>
    <message>
        <source>Đang kiểm tra hồ sơ trước khi ký…</source>
        <translation>Checking the dossier before signing…</translation>
    </message>
    <message>
        <source>Chưa ký được: hồ sơ còn %d lỗi phải sửa:</source>
        <translation>Cannot sign yet: the dossier has %d error(s) to fix:</translation>
    </message>
    <message>
        <source>Chưa ký được: còn %d cảnh báo chưa được xác nhận:</source>
        <translation>Cannot sign yet: %d warning(s) not confirmed:</translation>
    </message>
    <message>
        <source>Người dùng phần mềm</source>
        <translation>Application user</translation>
    </message>
    <message>
        <source>Đang ghi nhận xác nhận cảnh báo…</source>
        <translation>Recording the confirmation of the warnings…</translation>
    </message>
    <message>
        <source>Đang đọc token…</source>
        <translation>Reading the tokens…</translation>
    </message>
    <message>
        <source>Không tìm thấy chứng thư số nào có khóa ký trên token. Hãy cắm token chữ ký số rồi thử lại.</source>
        <translation>No certificate with a signing key was found on the tokens. Plug in your signing token and try again.</translation>
    </message>
    <message>
        <source>Chứng thư số đã chọn không dùng được để ký:</source>
        <translation>The chosen certificate cannot be used to sign:</translation>
    </message>
    <message>
        <source>Không tìm thấy token «%s». Hãy cắm lại token rồi thử lại.</source>
        <translation>Token “%s” was not found. Plug the token in again and retry.</translation>
    </message>
    <message>
        <source>Đang ký với vai trò %s… (làm theo hướng dẫn trên token nếu có)</source>
        <translation>Signing as %s… (follow the instructions on the token, if any)</translation>
    </message>
    <message>
        <source>Đã ký số với vai trò %s.</source>
        <translation>Signed as %s.</translation>
    </message>
    <message>
        <source>Lỗi không mong đợi khi ký: %s</source>
        <translation>Unexpected error while signing: %s</translation>
    </message>
    <message>
        <source>Sai mã PIN</source>
        <translation>Wrong PIN</translation>
    </message>
    <message>
        <source>Không ký được</source>
        <translation>Could not sign</translation>
    </message>
    <message>
        <source>Đã hủy ký.</source>
        <translation>Signing cancelled.</translation>
    </message>
</context>
<context>
    <name>SignaturesPanel</name>
    <message>
        <source>Hợp lệ</source>
        <translation>Valid</translation>
    </message>
    <message>
        <source>Không hợp lệ</source>
        <translation>Invalid</translation>
    </message>
    <message>
        <source>Chưa xác định</source>
        <translation>Indeterminate</translation>
    </message>
    <message>
        <source>cấp bởi %s</source>
        <translation>issued by %s</translation>
    </message>
    <message>
        <source>số sê-ri %s</source>
        <translation>serial %s</translation>
    </message>
    <message>
        <source>Lưu ý: %s</source>
        <translation>Note: %s</translation>
    </message>
    <message>
        <source>Chưa kiểm tra chữ ký số.</source>
        <translation>Signatures not checked yet.</translation>
    </message>
    <message>
        <source>Gói hồ sơ KHÔNG HỢP LỆ.</source>
        <translation>The dossier package is NOT VALID.</translation>
    </message>
    <message>
        <source>Chưa xác định được tính hợp lệ của chữ ký số.</source>
        <translation>The validity of the signatures could not be established.</translation>
    </message>
    <message>
        <source>Hồ sơ chưa có chữ ký số.</source>
        <translation>The dossier has no signatures yet.</translation>
    </message>
    <message>
        <source>Các chữ ký số hợp lệ, nhưng hồ sơ chưa đủ chữ ký của Kế toán trưởng và Thủ trưởng đơn vị.</source>
        <translation>The signatures are valid, but the dossier does not yet have both the chief accountant’s and the head of unit’s signatures.</translation>
    </message>
    <message>
        <source>Gói hồ sơ HỢP LỆ: đủ chữ ký của Kế toán trưởng và Thủ trưởng đơn vị.</source>
        <translation>The dossier package is VALID: signed by the chief accountant and the head of unit.</translation>
    </message>
    <message>
        <source>Vai trò</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>Người ký</source>
        <translation>Signer</translation>
    </message>
    <message>
        <source>Thời gian ký</source>
        <translation>Signing time</translation>
    </message>
    <message>
        <source>Chứng thư số</source>
        <translation>Certificate</translation>
    </message>
    <message>
        <source>Kết quả</source>
        <translation>Result</translation>
    </message>
    <message>
        <source>Lý do</source>
        <translation>Reasons</translation>
    </message>
    <message>
        <source>(không rõ vai trò)</source>
        <translation>(unknown role)</translation>
    </message>
    <message>
        <source>Lỗi</source>
        <translation>Error</translation>
    </message>
    <message>
        <source>Lưu ý</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>Chứng thư số: %s</source>
        <translation>Certificate: %s</translation>
    </message>
    <message>
        <source>(không đọc được)</source>
        <translation>(unreadable)</translation>
    </message>
    <message>
        <source>Lý do: %s</source>
        <translation>Reasons: %s</translation>
    </message>
</context>
<context>
    <name>SummaryPage</name>
    <message>
        <source>Kết quả thiết lập</source>
        <translation>Setup result</translation>
    </message>
    <message>
        <source>Bước</source>
        <translation>Step</translation>
    </message>
    <message>
        <source>Tình trạng</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Chi tiết</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>Đã sẵn sàng cho lớp tập huấn.</source>
        <translation>Ready for the training class.</translation>
    </message>
    <message>
        <source>Đã sẵn sàng làm việc.</source>
        <translation>Ready to work.</translation>
    </message>
    <message>
        <source>Chưa sẵn sàng: còn những việc dưới đây cần làm. Có thể quay lại để làm tiếp, hoặc mở lại trình thiết lập sau (Tệp → Thiết lập ban đầu).</source>
        <translation>Not ready yet: the steps below are still to do. Go back to finish them, or open the setup again later (File → First-run setup).</translation>
    </message>
    <message>
        <source>Sẵn sàng</source>
        <translation>Ready</translation>
    </message>
    <message>
        <source>Sẵn sàng, cần lưu ý</source>
        <translation>Ready, with a warning</translation>
    </message>
    <message>
        <source>Chưa sẵn sàng</source>
        <translation>Not ready</translation>
    </message>
    <message>
        <source>Cần làm: %1</source>
        <translation>To do: %1</translation>
    </message>
</context>
<context>
    <name>TableEditor</name>
    <message>
        <source>Xem trước khi in — %s</source>
        <translation>Print preview — %s</translation>
    </message>
    <message>
        <source>%d trang</source>
        <translation>%d page(s)</translation>
    </message>
    <message>
        <source>Đóng</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>Nhập từ Excel…</source>
        <translation>Import from Excel…</translation>
    </message>
    <message>
        <source>Đọc các dòng từ tệp .xlsx, .xls, .ods hoặc .csv</source>
        <translation>Read the lines from an .xlsx, .xls, .ods or .csv file</translation>
    </message>
    <message>
        <source>Thêm dòng</source>
        <translation>Add line</translation>
    </message>
    <message>
        <source>Xóa dòng</source>
        <translation>Delete lines</translation>
    </message>
    <message>
        <source>Hoàn tác</source>
        <translation>Undo</translation>
    </message>
    <message>
        <source>Làm lại</source>
        <translation>Redo</translation>
    </message>
    <message>
        <source>Hoàn tác: %s</source>
        <translation>Undo: %s</translation>
    </message>
    <message>
        <source>Làm lại: %s</source>
        <translation>Redo: %s</translation>
    </message>
    <message>
        <source>Dán từ Excel</source>
        <translation>Paste from Excel</translation>
    </message>
    <message>
        <source>Dán vùng ô đã sao chép trong Excel từ ô đang chọn</source>
        <translation>Paste the range copied in Excel, starting at the current cell</translation>
    </message>
    <message>
        <source>Kiểm tra</source>
        <translation>Check</translation>
    </message>
    <message>
        <source>Xem trước khi in</source>
        <translation>Print preview</translation>
    </message>
    <message>
        <source>Lưu nháp</source>
        <translation>Save draft</translation>
    </message>
    <message>
        <source>Lưu bảng vào danh sách hồ sơ (bản nháp)</source>
        <translation>Save the table to the dossier list (as a draft)</translation>
    </message>
    <message>
        <source>Ký số…</source>
        <translation>Sign…</translation>
    </message>
    <message>
        <source>Lưu bảng, kiểm tra rồi ký số bằng token</source>
        <translation>Save the table, check it, then sign it with the token</translation>
    </message>
    <message>
        <source>Bảng</source>
        <translation>Table</translation>
    </message>
    <message>
        <source>Số:</source>
        <translation>Number:</translation>
    </message>
    <message>
        <source>Đơn vị:</source>
        <translation>Unit:</translation>
    </message>
    <message>
        <source>(chưa khai báo)</source>
        <translation>(not set)</translation>
    </message>
    <message>
        <source>MM/YYYY</source>
        <translation>MM/YYYY</translation>
    </message>
    <message>
        <source>Kỳ lương (tháng/năm):</source>
        <translation>Pay period (month/year):</translation>
    </message>
    <message>
        <source>Mã chương:</source>
        <translation>Chapter code:</translation>
    </message>
    <message>
        <source>Mã ngành kinh tế:</source>
        <translation>Economic sector code:</translation>
    </message>
    <message>
        <source>Mã nguồn NSNN:</source>
        <translation>Budget source code:</translation>
    </message>
    <message>
        <source>Mã CTMT, dự án:</source>
        <translation>Programme/project code:</translation>
    </message>
    <message>
        <source>Giấy rút dự toán / UNC số:</source>
        <translation>Withdrawal / payment order no.:</translation>
    </message>
    <message>
        <source>chưa có</source>
        <translation>not known yet</translation>
    </message>
    <message>
        <source>Số tiền trên giấy rút (đồng):</source>
        <translation>Amount on the withdrawal order (VND):</translation>
    </message>
    <message>
        <source>Kiểm tra: đang chờ…</source>
        <translation>Checks: waiting…</translation>
    </message>
    <message>
        <source>Kỳ lương phải có dạng tháng/năm, ví dụ 10/2026.</source>
        <translation>The pay period must be month/year, e.g. 10/2026.</translation>
    </message>
    <message>
        <source>Số tiền trên giấy rút: %s</source>
        <translation>Amount on the withdrawal order: %s</translation>
    </message>
    <message>
        <source>Tổng cộng: %s đồng (%d dòng)</source>
        <translation>Total: %s VND (%d lines)</translation>
    </message>
    <message>
        <source>Số tiền bằng chữ: %s</source>
        <translation>Amount in words: %s</translation>
    </message>
    <message>
        <source>Đã dán %d dòng</source>
        <translation>Pasted %d line(s)</translation>
    </message>
    <message>
        <source> (thêm %d dòng mới)</source>
        <translation> (%d new line(s) added)</translation>
    </message>
    <message>
        <source>; %d ô chuyển từ bảng mã cũ sang Unicode</source>
        <translation>; %d cell(s) converted from a legacy encoding to Unicode</translation>
    </message>
    <message>
        <source>; %d ô không đọc được: %s</source>
        <translation>; %d unreadable cell(s): %s</translation>
    </message>
    <message>
        <source>Nhập bảng từ tệp</source>
        <translation>Import the table from a file</translation>
    </message>
    <message>
        <source>Bảng tính (*.xlsx *.xlsm *.xls *.ods *.csv);;Mọi tệp (*)</source>
        <translation>Spreadsheets (*.xlsx *.xlsm *.xls *.ods *.csv);;All files (*)</translation>
    </message>
    <message>
        <source>Đang đọc %s…</source>
        <translation>Reading %s…</translation>
    </message>
    <message>
        <source>Nhập %s</source>
        <translation>Import %s</translation>
    </message>
    <message>
        <source>Đã nhập %d dòng từ %s.</source>
        <translation>Imported %d line(s) from %s.</translation>
    </message>
    <message>
        <source>Không nhập được tệp</source>
        <translation>Could not import the file</translation>
    </message>
    <message>
        <source>Đang kiểm tra…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <source>Không kiểm tra được: %s</source>
        <translation>Could not check: %s</translation>
    </message>
    <message>
        <source>Lỗi</source>
        <translation>Error</translation>
    </message>
    <message>
        <source>Cảnh báo</source>
        <translation>Warning</translation>
    </message>
    <message>
        <source>Kiểm tra: không có lỗi hay cảnh báo.</source>
        <translation>Checks: no errors or warnings.</translation>
    </message>
    <message>
        <source>Kiểm tra: %d lỗi (phải sửa trước khi ký), %d cảnh báo. Bấm vào một dòng để đến ô đó.</source>
        <translation>Checks: %d error(s) (to fix before signing), %d warning(s). Click an entry to go to its cell.</translation>
    </message>
    <message>
        <source>Đang dựng bản in…</source>
        <translation>Rendering the printout…</translation>
    </message>
    <message>
        <source>Không dựng được bản in</source>
        <translation>Could not render the printout</translation>
    </message>
    <message>
        <source>Đang kiểm tra trước khi ký…</source>
        <translation>Checking before signing…</translation>
    </message>
    <message>
        <source>… và %d lỗi khác.</source>
        <translation>… and %d more error(s).</translation>
    </message>
    <message>
        <source>Chưa ký được</source>
        <translation>Cannot sign yet</translation>
    </message>
    <message>
        <source>Bảng còn %d lỗi phải sửa trước khi ký:
%s</source>
        <translation>The table has %d error(s) to fix before signing:
%s</translation>
    </message>
    <message>
        <source>Đã lưu bản nháp.</source>
        <translation>Draft saved.</translation>
    </message>
    <message>
        <source>Người lập bảng</source>
        <translation>Prepared by</translation>
    </message>
    <message>
        <source>Bảng chưa hợp lệ: %s</source>
        <translation>The table is not valid: %s</translation>
    </message>
    <message>
        <source>Không lưu được bảng</source>
        <translation>Could not save the table</translation>
    </message>
    <message>
        <source>Đang lưu bảng…</source>
        <translation>Saving the table…</translation>
    </message>
    <message>
        <source>Đang chuẩn bị ký…</source>
        <translation>Preparing to sign…</translation>
    </message>
    <message>
        <source>Không ký được</source>
        <translation>Could not sign</translation>
    </message>
    <message>
        <source>Bảng đã đủ chữ ký.</source>
        <translation>The table already has all its signatures.</translation>
    </message>
    <message>
        <source>Nhập bảng lương từ tệp</source>
        <translation>Import a salary table from a file</translation>
    </message>
    <message>
        <source>Hãy chọn một bảng nháp để sửa.</source>
        <translation>Select a draft table to edit.</translation>
    </message>
    <message>
        <source>Bảng đã ký không sửa được; hãy tạo bảng mới.</source>
        <translation>A signed table cannot be edited; create a new one.</translation>
    </message>
    <message>
        <source>Bảng lương &amp;mới…</source>
        <translation>&amp;New salary table…</translation>
    </message>
    <message>
        <source>&amp;Nhập bảng lương từ Excel…</source>
        <translation>&amp;Import salary table from Excel…</translation>
    </message>
    <message>
        <source>Bảng &amp;kê chứng từ mới (Mẫu 07)…</source>
        <translation>New &amp;voucher list (Form 07)…</translation>
    </message>
    <message>
        <source>&amp;Sửa bảng nháp đang chọn…</source>
        <translation>&amp;Edit the selected draft table…</translation>
    </message>
    <message>
        <source>&amp;Bảng lương</source>
        <translation>&amp;Salary tables</translation>
    </message>
    <message>
        <source>Lương, PC theo lương</source>
        <translation>Salary &amp; salary allowances</translation>
    </message>
    <message>
        <source>Tiền công HĐ</source>
        <translation>Contract wages</translation>
    </message>
    <message>
        <source>TN tăng thêm</source>
        <translation>Extra income</translation>
    </message>
    <message>
        <source>Tiền thưởng</source>
        <translation>Bonus</translation>
    </message>
    <message>
        <source>PC, trợ cấp khác</source>
        <translation>Other allowances</translation>
    </message>
    <message>
        <source>Tiền khoán</source>
        <translation>Lump sums</translation>
    </message>
    <message>
        <source>Học bổng</source>
        <translation>Scholarships</translation>
    </message>
    <message>
        <source>Nhóm</source>
        <translation>Group</translation>
    </message>
    <message>
        <source>Họ và tên</source>
        <translation>Full name</translation>
    </message>
    <message>
        <source>Số tài khoản</source>
        <translation>Account number</translation>
    </message>
    <message>
        <source>Tên ngân hàng</source>
        <translation>Bank name</translation>
    </message>
    <message>
        <source>Tổng số</source>
        <translation>Total</translation>
    </message>
    <message>
        <source>Ghi chú</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>Lương và phụ cấp theo lương</source>
        <translation>Salary and salary-based allowances</translation>
    </message>
    <message>
        <source>Tiền công lao động thường xuyên theo hợp đồng</source>
        <translation>Regular contract labour wages</translation>
    </message>
    <message>
        <source>Tiền thu nhập tăng thêm</source>
        <translation>Extra income</translation>
    </message>
    <message>
        <source>Tiền phụ cấp và trợ cấp khác</source>
        <translation>Other allowances and benefits</translation>
    </message>
    <message>
        <source>Tiền học bổng</source>
        <translation>Scholarships</translation>
    </message>
    <message>
        <source>Số chứng từ</source>
        <translation>Voucher number</translation>
    </message>
    <message>
        <source>Ngày chứng từ</source>
        <translation>Voucher date</translation>
    </message>
    <message>
        <source>Nội dung chi</source>
        <translation>Payment description</translation>
    </message>
    <message>
        <source>Mã NDKT</source>
        <translation>NDKT code</translation>
    </message>
    <message>
        <source>Số tiền</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>Bảng thanh toán cho đối tượng thụ hưởng (Mẫu 09)</source>
        <translation>Payment table for beneficiaries (Form 09)</translation>
    </message>
    <message>
        <source>Bảng kê chứng từ thanh toán (Mẫu 07)</source>
        <translation>List of payment vouchers (Form 07)</translation>
    </message>
    <message>
        <source>Dòng %d, cột «%s»: %s.</source>
        <translation>Line %d, column “%s”: %s.</translation>
    </message>
    <message>
        <source>Sửa ô dòng %d, cột «%s»</source>
        <translation>Edit line %d, column “%s”</translation>
    </message>
    <message>
        <source>Thêm %d dòng</source>
        <translation>Add %d line(s)</translation>
    </message>
    <message>
        <source>Xóa %d dòng</source>
        <translation>Delete %d line(s)</translation>
    </message>
    <message>
        <source>Xóa nội dung ô</source>
        <translation>Clear cells</translation>
    </message>
    <message>
        <source>Dán %d dòng</source>
        <translation>Paste %d line(s)</translation>
    </message>
    <message>
        <source>Dán</source>
        <translation>Paste</translation>
    </message>
</context>
<context>
    <name>TokenPage</name>
    <message>
        <source>Token chữ ký số</source>
        <translation>Signature tokens</translation>
    </message>
    <message>
        <source>Cắm token của Kế toán trưởng và của Thủ trưởng đơn vị rồi bấm «Kiểm tra token».</source>
        <translation>Plug in the tokens of the chief accountant and of the head of unit, then press &quot;Check tokens&quot;.</translation>
    </message>
    <message>
        <source>(tự tìm trình điều khiển token)</source>
        <translation>(find the token driver automatically)</translation>
    </message>
    <message>
        <source>&amp;Kiểm tra token</source>
        <translation>&amp;Check tokens</translation>
    </message>
    <message>
        <source>Vai trò</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>Kết quả</source>
        <translation>Result</translation>
    </message>
    <message>
        <source>Thư viện &amp;PKCS#11:</source>
        <translation>&amp;PKCS#11 library:</translation>
    </message>
    <message>
        <source>Đang đọc token…</source>
        <translation>Reading the tokens…</translation>
    </message>
    <message>
        <source>Cần làm: %1</source>
        <translation>To do: %1</translation>
    </message>
</context>
<context>
    <name>UnitPage</name>
    <message>
        <source>Thông tin đơn vị</source>
        <translation>Unit profile</translation>
    </message>
    <message>
        <source>Như trên quyết định giao dự toán và hồ sơ mở tài khoản tại Kho bạc.</source>
        <translation>As on the budget allocation decision and the account opening papers at the treasury.</translation>
    </message>
    <message>
        <source>ví dụ: KBNN Đống Đa</source>
        <translation>e.g. KBNN Đống Đa</translation>
    </message>
    <message>
        <source>Tài khoản dự toán</source>
        <translation>Budget estimate account</translation>
    </message>
    <message>
        <source>Tài khoản tiền gửi</source>
        <translation>Deposit account</translation>
    </message>
    <message>
        <source>&amp;Mã đơn vị (mã ĐVQHNS):</source>
        <translation>Unit &amp;code (budget unit code):</translation>
    </message>
    <message>
        <source>&amp;Tên đơn vị:</source>
        <translation>Unit &amp;name:</translation>
    </message>
    <message>
        <source>&amp;Kho bạc nơi giao dịch:</source>
        <translation>&amp;Treasury office:</translation>
    </message>
    <message>
        <source>Số tài &amp;khoản:</source>
        <translation>&amp;Account number:</translation>
    </message>
    <message>
        <source>&amp;Loại tài khoản:</source>
        <translation>Account &amp;kind:</translation>
    </message>
    <message>
        <source>&amp;Người lập bảng:</source>
        <translation>&amp;Prepared by:</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Chào mừng đến với KBNN Client</source>
        <translation>Welcome to KBNN Client</translation>
    </message>
    <message>
        <source>Vài bước để bắt đầu lập, ký số và gửi hồ sơ thanh toán tới Kho bạc.</source>
        <translation>A few steps before you prepare, sign and send payment dossiers to the treasury.</translation>
    </message>
    <message>
        <source>&amp;Làm việc thật với Kho bạc Nhà nước</source>
        <translation>&amp;Real work with the State Treasury</translation>
    </message>
    <message>
        <source>&amp;Tham gia lớp tập huấn (tệp do giảng viên phát)</source>
        <translation>&amp;Join a training class (file from the trainer)</translation>
    </message>
    <message>
        <source>Cần: địa chỉ máy chủ Kho bạc (thường đã được cài sẵn), mã đơn vị, tài khoản dịch vụ công và token chữ ký số của Kế toán trưởng và Thủ trưởng đơn vị.</source>
        <translation>You need: the treasury server address (usually preset), the unit code, the online service account, and the signature tokens of the chief accountant and the head of unit.</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>Không khôi phục được</source>
        <translation>Restore failed</translation>
    </message>
    <message>
        <source>Đã khôi phục</source>
        <translation>Restored</translation>
    </message>
    <message>
        <source>Đã khôi phục %1 hồ sơ. Hãy mở lại phần mềm.</source>
        <translation>%1 dossiers restored. Please open the application again.</translation>
    </message>
</context>
<context>
    <name>dossiers</name>
    <message>
        <source>Chờ Kế toán trưởng ký</source>
        <translation>Waiting for the chief accountant</translation>
    </message>
    <message>
        <source>Chờ Thủ trưởng đơn vị ký</source>
        <translation>Waiting for the head of unit</translation>
    </message>
    <message>
        <source>Đã ký đủ, chưa gửi</source>
        <translation>Fully signed, not sent</translation>
    </message>
    <message>
        <source>Đang chờ gửi</source>
        <translation>Queued</translation>
    </message>
    <message>
        <source>Kho bạc không nhận, cần xử lý</source>
        <translation>Refused by the treasury, needs attention</translation>
    </message>
    <message>
        <source>Đã gửi</source>
        <translation>Sent</translation>
    </message>
    <message>
        <source>Đã kiểm soát, chờ thanh toán</source>
        <translation>Accepted, waiting for payment</translation>
    </message>
    <message>
        <source>Bị từ chối</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <source>Đã thanh toán</source>
        <translation>Paid</translation>
    </message>
</context>
<context>
    <name>labels</name>
    <message>
        <source>Kế toán trưởng</source>
        <translation>Chief accountant</translation>
    </message>
    <message>
        <source>Thủ trưởng đơn vị</source>
        <translation>Head of unit</translation>
    </message>
    <message>
        <source>Bảng thanh toán (Mẫu 09)</source>
        <translation>Payment table (Form 09)</translation>
    </message>
    <message>
        <source>Bảng kê chứng từ (Mẫu 07)</source>
        <translation>Voucher list (Form 07)</translation>
    </message>
    <message>
        <source>Bản nháp — chờ Kế toán trưởng ký</source>
        <translation>Draft — waiting for the chief accountant</translation>
    </message>
    <message>
        <source>Chờ Thủ trưởng đơn vị ký</source>
        <translation>Waiting for the head of unit</translation>
    </message>
    <message>
        <source>Đã ký đủ — chờ gửi</source>
        <translation>Fully signed — ready to send</translation>
    </message>
    <message>
        <source>Đang chờ gửi</source>
        <translation>Queued</translation>
    </message>
    <message>
        <source>Đã gửi — Đã tiếp nhận</source>
        <translation>Sent — received</translation>
    </message>
    <message>
        <source>Đã kiểm soát, chờ thanh toán</source>
        <translation>Accepted, waiting for payment</translation>
    </message>
    <message>
        <source>Bị từ chối</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <source>Đã thanh toán</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>Hợp lệ</source>
        <translation>Valid</translation>
    </message>
    <message>
        <source>Không hợp lệ</source>
        <translation>Invalid</translation>
    </message>
    <message>
        <source>Chưa xác định</source>
        <translation>Indeterminate</translation>
    </message>
    <message>
        <source>Hợp lệ (có cảnh báo)</source>
        <translation>Valid (with warnings)</translation>
    </message>
    <message>
        <source>Kho bạc không nhận, cần xử lý</source>
        <translation>Refused by the treasury, needs attention</translation>
    </message>
    <message>
        <source>Đang gửi Kho bạc…</source>
        <translation>Sending to the treasury…</translation>
    </message>
    <message>
        <source>Đang chờ gửi (đã thử %1 lần)</source>
        <translation>Queued (%1 attempts so far)</translation>
    </message>
    <message>
        <source>Chờ gửi</source>
        <translation>Waiting</translation>
    </message>
    <message>
        <source>Chờ gửi lại</source>
        <translation>Waiting to retry</translation>
    </message>
    <message>
        <source>Đang gửi</source>
        <translation>Sending</translation>
    </message>
    <message>
        <source>Đã gửi</source>
        <translation>Sent</translation>
    </message>
    <message>
        <source>Cần xử lý</source>
        <translation>Needs attention</translation>
    </message>
    <message>
        <source>Đã hủy</source>
        <translation>Cancelled</translation>
    </message>
</context>
</TS>
