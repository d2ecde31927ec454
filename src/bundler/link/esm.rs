//! An ES module made ready for the bundle: its imports bound, its export syntax removed, its
//! statements split into parts for shaking.

use super::*;

impl<'g> Linker<'g> {
    /// One ES module's imports resolved and its export syntax removed (on any thread), ready
    /// for `esm_bind`. `body`: its statements if moved out of the graph (else a copy is made).
    pub(super) fn esm_resolve(
        &self,
        id: ModuleId,
        body: Option<Vec<ModuleItem>>,
    ) -> Result<Resolved> {
        let mut imports: Vec<(Id, (Target, Option<String>))> = self.imports[id]
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        imports.sort_by(|a, b| a.0.0.cmp(&b.0.0));
        let mut bindings = Vec::with_capacity(imports.len());
        for (local, (t, name)) in imports {
            let b = self.resolve_import(&t, name.as_deref(), &mut vec![]);
            let b = match (b, &t) {
                // A JSON module exports its object's keys, and nothing else by name.
                (Some(Binding::CommonJs(m, Some(key))), _)
                    if key != "default"
                        && self.g.modules[m]
                            .record
                            .json_keys
                            .as_ref()
                            .is_some_and(|keys| !keys.contains(&key)) =>
                {
                    return Err(self.missing_export(id, m, &key));
                }
                (Some(b), _) => b,
                (None, Target::Module(m)) => {
                    return Err(self.missing_export(id, *m, name.as_deref().unwrap_or("*")));
                }
                (None, Target::External(_)) => unreachable!("externals always resolve"),
            };
            bindings.push((local, b));
        }
        let body = body.unwrap_or_else(|| self.g.modules[id].ast.body.clone());
        Ok(Resolved {
            id,
            bindings,
            groups: self.groups(id, body),
        })
    }

    /// A module's imports bound, in the order of the modules (the names made for them count
    /// up), ready for `esm_parts`.
    pub(super) fn esm_bind(&mut self, r: Resolved) -> Prepared {
        let Resolved {
            id,
            bindings,
            groups,
        } = r;
        let mut replace: FxHashMap<Id, Box<Expr>> = FxHashMap::default();
        // One `var import_x = __toESM(require_x())` per CommonJS module this module imports.
        let mut commonjs: IndexMap<ModuleId, Id> = IndexMap::new();
        let mut namespaces: FxHashMap<Id, ModuleId> = FxHashMap::default();
        let mut out = vec![];
        for (local, b) in bindings {
            let expr = match &b {
                Binding::CommonJs(m, prop) => {
                    let var_name = match commonjs.get(m) {
                        Some(v) => v.clone(),
                        None => {
                            let v =
                                self.name(&format!("import_{}", stem(&self.g.modules[*m].path)));
                            let init = self.binding_expr(&Binding::CommonJs(*m, None), id);
                            out.push(var(VarDeclKind::Var, &v, Some(init)));
                            commonjs.insert(*m, v.clone());
                            v
                        }
                    };
                    match prop {
                        Some(p) => member(expr_ident(&var_name), p),
                        None => expr_ident(&var_name),
                    }
                }
                Binding::Namespace(m) => {
                    namespaces.insert(local.clone(), *m);
                    self.binding_expr(&b, id)
                }
                _ => self.binding_expr(&b, id),
            };
            replace.insert(local, expr);
        }
        Prepared {
            id,
            replace,
            namespaces,
            interop: out,
            groups,
        }
    }

    /// A module's statements without their export syntax, in groups kept or dropped together
    /// (a declaration and the call naming it).
    fn groups(&self, id: ModuleId, body: Vec<ModuleItem>) -> Vec<Vec<ModuleItem>> {
        let path = &self.g.modules[id].path;
        let top = self.top_ctxt(id);
        let mut groups: Vec<Vec<ModuleItem>> = vec![];
        for item in body {
            match item {
                ModuleItem::Stmt(s) => groups.push(vec![ModuleItem::Stmt(s)]),
                ModuleItem::ModuleDecl(d) => match d {
                    ModuleDecl::ExportDecl(e) => {
                        groups.push(vec![ModuleItem::Stmt(Stmt::Decl(e.decl))])
                    }
                    ModuleDecl::ExportDefaultDecl(d) => {
                        let name: Id = (format!("{}_default", stem(path)).into(), top);
                        let (decl, anonymous) = match d.decl {
                            DefaultDecl::Fn(mut f) => {
                                let given = f.ident.take();
                                let anonymous = given.is_none();
                                (
                                    Decl::Fn(FnDecl {
                                        ident: given.unwrap_or_else(|| ident(&name)),
                                        declare: false,
                                        function: f.function,
                                    }),
                                    anonymous,
                                )
                            }
                            DefaultDecl::Class(mut c) => {
                                let given = c.ident.take();
                                let anonymous = given.is_none();
                                (
                                    Decl::Class(ClassDecl {
                                        ident: given.unwrap_or_else(|| ident(&name)),
                                        declare: false,
                                        class: c.class,
                                    }),
                                    anonymous,
                                )
                            }
                            DefaultDecl::TsInterfaceDecl(_) => continue,
                        };
                        let mut group = vec![ModuleItem::Stmt(Stmt::Decl(decl))];
                        group.extend(anonymous.then(|| self.named_default(&name)));
                        groups.push(group);
                    }
                    ModuleDecl::ExportDefaultExpr(e) => {
                        let name: Id = (format!("{}_default", stem(path)).into(), top);
                        let anonymous = is_anonymous_function(&e.expr);
                        let mut group = vec![var(VarDeclKind::Var, &name, Some(e.expr))];
                        group.extend(anonymous.then(|| self.named_default(&name)));
                        groups.push(group);
                    }
                    _ => {}
                },
            }
        }
        groups
    }

    /// The code of one ES module, rewritten (on any thread): the linker's interop variables,
    /// then one part per statement.
    pub(super) fn esm_parts(&self, p: Prepared) -> Result<Vec<Part>> {
        let Prepared {
            id,
            replace,
            namespaces,
            interop,
            mut groups,
        } = p;
        let mut rewrite = Rewrite::new(self, id, replace, namespaces, None);
        let mut reads = Vec::with_capacity(groups.len());
        let mut mentions = Vec::with_capacity(groups.len());
        for group in &mut groups {
            group.visit_mut_with(&mut rewrite);
            reads.push(std::mem::take(&mut rewrite.read_through));
            mentions.push(std::mem::take(&mut rewrite.mentioned));
        }
        if let Some(e) = rewrite.error {
            return Err(e);
        }
        let import_meta = rewrite.import_meta.map(|meta| {
            var(
                VarDeclKind::Var,
                &meta,
                Some(Box::new(Expr::Object(ObjectLit {
                    span: DUMMY_SP,
                    props: vec![],
                }))),
            )
        });
        let interop = interop
            .into_iter()
            .chain(import_meta)
            .map(|i| Part::new(Some(id), PartKind::Linker, vec![i]));
        let code =
            (groups.into_iter().zip(reads).zip(mentions)).map(|((g, uses), mentions)| Part {
                uses,
                mentions: Some(mentions),
                ..Part::new(Some(id), PartKind::Code, g)
            });
        Ok(interop.chain(code).collect())
    }
}
