"""One customer's copy of a paired template: the SMS as a phone shows it, the email
as a mail program shows it (sender, recipient, subject, HTML with its QR images, and
the plain-text alternative)."""

import logging

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import (
    QBoxLayout,
    QFormLayout,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import segments
from desktop_app.core.templates import RenderedPair, ShopInfo
from desktop_app.ui.widgets.phone_bubble import PhoneBubble

logger = logging.getLogger(__name__)

SMS_TITLE = "<b>SMS, as the phone shows it</b>"
EMAIL_TITLE = "<b>Email, as the mail program shows it</b>"
HTML_TAB = "Formatted"
TEXT_TAB = "Plain text"
NO_EMAIL_BODY = "(no email body: no email would be sent)"
NO_PHONE = "no phone number"
NO_ADDRESS = "no email address"


class PairPreview(QWidget):
    """Shows a rendered pair: a phone bubble and a mail client, side by side or stacked.

    Attributes:
        sms_bubble: the phone bubble, its segments marked.
        sms_info: the recipient's number and the SMS count.
        email_from, email_to, email_subject: the mail header.
        email_view: the HTML part, QR images included.
        email_text: the plain-text part.
        email_tabs: switches between the two parts.
        sms_decision, email_decision: what a reviewed plan decided for this
            customer on each channel (hidden until :meth:`show_decisions`).
    """

    def __init__(
        self, parent: QWidget | None = None, *, side_by_side: bool = True
    ) -> None:
        super().__init__(parent)
        self.sms_bubble = PhoneBubble()
        self.sms_info = QLabel()
        self.sms_info.setObjectName("mutedLabel")
        self.sms_info.setWordWrap(True)
        self.email_from = QLabel()
        self.email_to = QLabel()
        self.email_subject = QLabel()
        self.email_subject.setObjectName("emailSubject")
        self.email_subject.setWordWrap(True)
        for label in (self.email_from, self.email_to, self.email_subject):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.email_view = QTextBrowser()
        self.email_view.setOpenLinks(False)
        self.email_text = QPlainTextEdit()
        self.email_text.setReadOnly(True)
        self.email_tabs = QTabWidget()
        self.email_tabs.setDocumentMode(True)
        self.email_tabs.addTab(self.email_view, HTML_TAB)
        self.email_tabs.addTab(self.email_text, TEXT_TAB)
        self.sms_decision = QLabel()
        self.email_decision = QLabel()
        for label in (self.sms_decision, self.email_decision):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setVisible(False)
        self._build_layout(side_by_side)

    def show_pair(
        self,
        pair: RenderedPair,
        *,
        phone: str | None,
        email: str | None,
        shop: ShopInfo,
    ) -> None:
        """Show one customer's rendered pair.

        Args:
            pair: the rendered SMS and email.
            phone: the number the SMS goes to, or None.
            email: the address the email goes to, or None.
            shop: the sender's details (From).
        """
        self.sms_bubble.set_message(pair.sms_body)
        count = segments.count_segments(pair.sms_body)
        self.sms_info.setText(f"To {phone or NO_PHONE}\n" + count.summary_text())

        sender = shop.name or "Your shop"
        self.email_from.setText(f"{sender} <{shop.email}>" if shop.email else sender)
        self.email_to.setText(email or NO_ADDRESS)
        self.email_subject.setText(pair.email_subject)
        document = self.email_view.document()
        for image in pair.images:
            document.addResource(
                QTextDocument.ResourceType.ImageResource,
                QUrl(f"cid:{image.cid}"),
                QImage.fromData(image.png),
            )
        self.email_view.setHtml(pair.email_html or f"<p>{NO_EMAIL_BODY}</p>")
        self.email_text.setPlainText(pair.email_text or NO_EMAIL_BODY)

    def show_decisions(
        self, sms: tuple[str, str] | None, email: tuple[str, str] | None
    ) -> None:
        """Show over each pane what the reviewed plan decided, or hide the lines.

        Args:
            sms: the SMS line and its style (``ok``, ``warning``, ``error``), or
                None to hide it.
            email: the same for the email.
        """
        for label, decision in ((self.sms_decision, sms), (self.email_decision, email)):
            if decision is None:
                label.clear()
                label.setVisible(False)
                continue
            text, style = decision
            label.setText(text)
            label.setObjectName(f"{style}Label")
            label.style().unpolish(label)
            label.style().polish(label)
            label.setVisible(True)

    def show_nothing(self, note: str) -> None:
        """Empty every pane and show ``note`` in the bubble."""
        self.show_decisions(None, None)
        self.sms_bubble.set_placeholder(note)
        self.sms_info.clear()
        for label in (self.email_from, self.email_to, self.email_subject):
            label.clear()
        self.email_view.clear()
        self.email_text.clear()

    def _build_layout(self, side_by_side: bool) -> None:
        bubble_holder = QWidget()
        holder_layout = QVBoxLayout(bubble_holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.addWidget(self.sms_bubble)
        holder_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(bubble_holder)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setStyleSheet(
            "QScrollArea, QScrollArea > QWidget > QWidget { background: transparent; }"
        )

        phone = QFrame()
        phone.setObjectName("phoneFrame")
        phone.setMinimumWidth(180)
        phone_layout = QVBoxLayout(phone)
        phone_layout.addWidget(scroll, 1)
        phone_layout.addWidget(self.sms_info)

        mail = QFrame()
        mail.setObjectName("mailFrame")
        mail_layout = QVBoxLayout(mail)
        mail_header = QFormLayout()
        mail_header.setVerticalSpacing(2)
        mail_header.addRow("From:", self.email_from)
        mail_header.addRow("To:", self.email_to)
        mail_header.addRow("Subject:", self.email_subject)
        mail_layout.addLayout(mail_header)
        mail_layout.addWidget(self.email_tabs, 1)

        sms_column = QVBoxLayout()
        sms_column.addWidget(QLabel(SMS_TITLE))
        sms_column.addWidget(self.sms_decision)
        sms_column.addWidget(phone, 1)
        mail_column = QVBoxLayout()
        mail_column.addWidget(QLabel(EMAIL_TITLE))
        mail_column.addWidget(self.email_decision)
        mail_column.addWidget(mail, 1)

        direction = (
            QBoxLayout.Direction.LeftToRight
            if side_by_side
            else QBoxLayout.Direction.TopToBottom
        )
        layout = QBoxLayout(direction, self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(sms_column, 2 if side_by_side else 1)
        layout.addLayout(mail_column, 3 if side_by_side else 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
