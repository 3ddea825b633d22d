"""ORM models, one table per module; importing this package registers them all."""

from laneway.models.api_token import ApiToken, TokenKind, TokenScope
from laneway.models.attachment import Attachment
from laneway.models.base import Base
from laneway.models.comment import Comment
from laneway.models.email_batch import EmailBatch
from laneway.models.email_start import EmailStart
from laneway.models.event import Event
from laneway.models.idempotency_key import IdempotencyKey
from laneway.models.instance_secret import InstanceSecret
from laneway.models.invitation import Invitation
from laneway.models.label import Label
from laneway.models.live_ticket import LiveTicket
from laneway.models.membership import Membership, NotifyLevel, Role
from laneway.models.notification import Notification, NotificationCursor, NotificationKind
from laneway.models.project import Project
from laneway.models.project_counter import ProjectCounter
from laneway.models.status import Status, StatusCategory
from laneway.models.status_count import StatusCount
from laneway.models.task import Priority, Task
from laneway.models.transfer import Transfer, TransferFile, TransferKind, TransferState
from laneway.models.user import User
from laneway.models.watcher import Watcher
from laneway.models.webhook import Webhook
from laneway.models.webhook_delivery import DeliveryState, WebhookDelivery

__all__ = [
    "ApiToken",
    "Attachment",
    "Base",
    "Comment",
    "DeliveryState",
    "EmailBatch",
    "EmailStart",
    "Event",
    "IdempotencyKey",
    "InstanceSecret",
    "Invitation",
    "Label",
    "LiveTicket",
    "Membership",
    "Notification",
    "NotificationCursor",
    "NotificationKind",
    "NotifyLevel",
    "Priority",
    "Project",
    "ProjectCounter",
    "Role",
    "Status",
    "StatusCategory",
    "StatusCount",
    "Task",
    "TokenKind",
    "TokenScope",
    "Transfer",
    "TransferFile",
    "TransferKind",
    "TransferState",
    "User",
    "Watcher",
    "Webhook",
    "WebhookDelivery",
]
