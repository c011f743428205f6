"""Follow-up: close the loop with unhappy customers — the queue, whether it works, and what we changed."""

from cx.app import followup_page, ui

filters = ui.setup_page("Follow-up")
followup_page.require_local_database()
who = followup_page.actor()
sla, sla_version = followup_page.policy()
view = followup_page.view()

if view == "queue":
    followup_page.queue_view(filters, sla, who)
elif view == "results":
    followup_page.results_view(filters, sla)
elif view == "actions":
    followup_page.actions_view(filters, who)
else:
    followup_page.sla_view(sla, sla_version, who)
