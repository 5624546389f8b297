/* Resource handlers, one file per resource family. The routes that use them
 * and the privileges each needs are declared in routes.c only. */
#ifndef CXLA_REDFISH_HANDLERS_H
#define CXLA_REDFISH_HANDLERS_H

#include "redfish/router.h"

/* root.c: protocol entry points */
int h_redfish_versions(const struct route_ctx *ctx, struct http_response *resp);
int h_service_root(const struct route_ctx *ctx, struct http_response *resp);
int h_odata(const struct route_ctx *ctx, struct http_response *resp);
int h_metadata(const struct route_ctx *ctx, struct http_response *resp);

/* oem_schemas.c: the OEM schema documents */
int h_oem_schema(const struct route_ctx *ctx, struct http_response *resp);

/* managers.c: the agent itself */
int h_manager_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_manager(const struct route_ctx *ctx, struct http_response *resp);

/* inventory.c: the host's CXL memory devices */
int h_chassis_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_chassis(const struct route_ctx *ctx, struct http_response *resp);
int h_pcie_device_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_pcie_device(const struct route_ctx *ctx, struct http_response *resp);
int h_cxl_ld_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_cxl_ld(const struct route_ctx *ctx, struct http_response *resp);
int h_device_log(const struct route_ctx *ctx, struct http_response *resp);
int h_device_log_entries(const struct route_ctx *ctx, struct http_response *resp);
int h_device_log_entry(const struct route_ctx *ctx, struct http_response *resp);
int h_system_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_system(const struct route_ctx *ctx, struct http_response *resp);
int h_memory_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_memory(const struct route_ctx *ctx, struct http_response *resp);
int h_memory_domain_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_memory_domain(const struct route_ctx *ctx, struct http_response *resp);

/* Content versions for the body cache (route_version). v_static: content
 * fixed for the life of the process; v_device: a device resource. */
uint64_t v_static(const struct route_ctx *ctx);
uint64_t v_device(const struct route_ctx *ctx);

/* cel.c: the Command Effects Log (OEM) */
int h_command_effects_log(const struct route_ctx *ctx, struct http_response *resp);

/* vendor_commands.c: approved vendor commands (OEM) */
int h_vendor_command_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_vendor_command(const struct route_ctx *ctx, struct http_response *resp);
int h_vendor_command_submit(const struct route_ctx *ctx, struct http_response *resp);

/* tasks.c: background operations */
struct agent;
int h_task_service(const struct route_ctx *ctx, struct http_response *resp);
int h_task_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_task(const struct route_ctx *ctx, struct http_response *resp);
/* The Task resource for id as a new reference, or NULL when unknown. */
json_t *task_json(struct agent *ag, unsigned id);

/* audit_log.c: the audit log under the Manager */
int h_manager_log_services(const struct route_ctx *ctx, struct http_response *resp);
int h_audit_log_service(const struct route_ctx *ctx, struct http_response *resp);
int h_audit_entries(const struct route_ctx *ctx, struct http_response *resp);
int h_audit_entry(const struct route_ctx *ctx, struct http_response *resp);

/* account_service.c: AccountService, accounts, roles */
int h_account_service(const struct route_ctx *ctx, struct http_response *resp);
int h_account_service_patch(const struct route_ctx *ctx, struct http_response *resp);
int h_account_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_account_create(const struct route_ctx *ctx, struct http_response *resp);
int h_account(const struct route_ctx *ctx, struct http_response *resp);
int h_account_patch(const struct route_ctx *ctx, struct http_response *resp);
int h_account_delete(const struct route_ctx *ctx, struct http_response *resp);
int h_role_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_role_create(const struct route_ctx *ctx, struct http_response *resp);
int h_role(const struct route_ctx *ctx, struct http_response *resp);
int h_role_patch(const struct route_ctx *ctx, struct http_response *resp);
int h_role_delete(const struct route_ctx *ctx, struct http_response *resp);

/* session_service.c: SessionService and sessions */
int h_session_service(const struct route_ctx *ctx, struct http_response *resp);
int h_session_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_session_create(const struct route_ctx *ctx, struct http_response *resp);
int h_session(const struct route_ctx *ctx, struct http_response *resp);
int h_session_delete(const struct route_ctx *ctx, struct http_response *resp);

#endif
