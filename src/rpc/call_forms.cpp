#include "rpc/call_forms.hpp"

namespace e6data::rpc {

PrepareStatementResponse prepare_statement(EngineClient& client, const std::string& session,
                                           const std::string& catalog, const std::string& schema,
                                           const std::string& sql, const CallOptions& call) {
  if (catalog.empty()) {
    PrepareStatementRequest req;
    req.set_sessionid(session);
    req.set_schema(schema);
    req.set_querystring(sql);
    return client.prepare(req, call);
  }
  PrepareStatementV2Request req;
  req.set_sessionid(session);
  req.set_schema(schema);
  req.set_catalog(catalog);
  req.set_querystring(sql);
  return client.prepare_v2(req, call);
}

ExecuteStatementResponse execute_statement(EngineClient& client, bool catalog_form,
                                           const std::string& engine_ip, const std::string& session,
                                           const std::string& query_id,
                                           const std::vector<ParameterValue>& parameters,
                                           const CallOptions& call) {
  if (!catalog_form) {
    ExecuteStatementRequest req;
    req.set_engineip(engine_ip);
    req.set_sessionid(session);
    req.set_queryid(query_id);
    return client.execute(req, call);
  }
  ExecuteStatementV2Request req;
  req.set_engineip(engine_ip);
  req.set_sessionid(session);
  req.set_queryid(query_id);
  for (const auto& p : parameters) *req.add_params() = p;
  return client.execute_v2(req, call);
}

GetSchemaNamesResponse schema_names(EngineClient& client, const std::string& session,
                                    const std::string& catalog, const CallOptions& call) {
  if (catalog.empty()) {
    GetSchemaNamesRequest req;
    req.set_sessionid(session);
    return client.schema_names(req, call);
  }
  GetSchemaNamesV2Request req;
  req.set_sessionid(session);
  req.set_catalog(catalog);
  return client.schema_names_v2(req, call);
}

GetTablesResponse tables(EngineClient& client, const std::string& session,
                         const std::string& catalog, const std::string& schema,
                         const CallOptions& call) {
  if (catalog.empty()) {
    GetTablesRequest req;
    req.set_sessionid(session);
    req.set_schema(schema);
    return client.tables(req, call);
  }
  GetTablesV2Request req;
  req.set_sessionid(session);
  req.set_schema(schema);
  req.set_catalog(catalog);
  return client.tables_v2(req, call);
}

GetColumnsResponse columns(EngineClient& client, const std::string& session,
                           const std::string& catalog, const std::string& schema,
                           const std::string& table, const CallOptions& call) {
  if (catalog.empty()) {
    GetColumnsRequest req;
    req.set_sessionid(session);
    req.set_schema(schema);
    req.set_table(table);
    return client.columns(req, call);
  }
  GetColumnsV2Request req;
  req.set_sessionid(session);
  req.set_schema(schema);
  req.set_table(table);
  req.set_catalog(catalog);
  return client.columns_v2(req, call);
}

DryRunResponse dry_run(EngineClient& client, const std::string& session, const std::string& catalog,
                       const std::string& schema, const std::string& sql, const CallOptions& call) {
  if (catalog.empty()) {
    DryRunRequest req;
    req.set_sessionid(session);
    req.set_schema(schema);
    req.set_querystring(sql);
    return client.dry_run(req, call);
  }
  DryRunRequestV2 req;
  req.set_sessionid(session);
  req.set_schema(schema);
  req.set_catalog(catalog);
  req.set_querystring(sql);
  return client.dry_run_v2(req, call);
}

}  // namespace e6data::rpc
