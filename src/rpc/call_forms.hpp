#pragma once
// The one place that chooses between the catalog-less (V1) and catalog (V2) forms of a call
// (PROTOCOL.md §3: e6data's own connector uses the V2 form whenever a catalog is configured, the
// V1 form otherwise). Callers say what they want; these pick the method and fill the request.

#include <string>
#include <vector>

#include "rpc/engine_client.hpp"

namespace e6data::rpc {

PrepareStatementResponse prepare_statement(EngineClient& client, const std::string& session,
                                           const std::string& catalog, const std::string& schema,
                                           const std::string& sql, const CallOptions& call);

// V2 (with the typed parameters) when `catalog_form`; V1 carries none.
ExecuteStatementResponse execute_statement(EngineClient& client, bool catalog_form,
                                           const std::string& engine_ip, const std::string& session,
                                           const std::string& query_id,
                                           const std::vector<ParameterValue>& parameters,
                                           const CallOptions& call);

GetSchemaNamesResponse schema_names(EngineClient& client, const std::string& session,
                                    const std::string& catalog, const CallOptions& call);
GetTablesResponse tables(EngineClient& client, const std::string& session,
                         const std::string& catalog, const std::string& schema,
                         const CallOptions& call);
GetColumnsResponse columns(EngineClient& client, const std::string& session,
                           const std::string& catalog, const std::string& schema,
                           const std::string& table, const CallOptions& call);
DryRunResponse dry_run(EngineClient& client, const std::string& session, const std::string& catalog,
                       const std::string& schema, const std::string& sql, const CallOptions& call);

}  // namespace e6data::rpc
