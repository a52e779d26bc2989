// GraphiQL against this service's own /graphql: every asset and request stays on this origin.
// A token for the Authorization header goes in GraphiQL's "Headers" tab, or comes from the
// console's session (`po.token`) when one is signed in in this tab.
(function () {
  const token = sessionStorage.getItem('po.token');
  const fetcher = GraphiQL.createFetcher({ url: `${location.origin}/graphql` });
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher,
    defaultEditorToolsVisibility: true,
    defaultHeaders: token ? JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2) : undefined,
    defaultQuery: '# policy-outreach: the catalog, newest first\n{\n  policies(first: 5) {\n    totalCount\n    nodes { code title benefitKind }\n  }\n}\n',
  }));
}());
