//! What the modules of well-known packages give the modules that import them, as data: one entry
//! per package module, easy to extend. A package module that is not here is unknown: a module
//! importing it may inject anything, and nothing is reported about that module.
//!
//! Sources: each package's own module definition (`exports` of its `@Module`/dynamic module),
//! checked against its documentation.

/// What an import of a package module provides to the importing module.
#[derive(Clone, Copy, Debug)]
pub struct PackageModule {
    pub source: &'static str,
    pub module: &'static str,
    /// The exported values (classes or constants) of `source`, or of `also_from`, injectable by
    /// type or token.
    pub exports: &'static [&'static str],
    /// Tokens built from the import's arguments.
    pub from_args: FromArgs,
    /// Whether what it exports is available in every module of the application.
    pub global: Global,
    /// Tokens the package's root registration (`forRoot`, `forRootAsync`) makes available
    /// everywhere in the application, whatever module imports it (TypeORM's `DataSource`).
    pub root_globals: &'static [&'static str],
}

/// Tokens an import builds from its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FromArgs {
    None,
    /// `TypeOrmModule.forFeature([User, Order])`: the repository of each entity.
    Repositories,
    /// `MongooseModule.forFeature([{ name: Cat.name, schema }])`: the model of each name.
    MongooseModels,
    /// `SequelizeModule.forFeature([User])`: the model of each class.
    SequelizeModels,
    /// `BullModule.registerQueue({ name: 'mail' }, ...)`: the queue of each name.
    Queues,
    /// `ClientsModule.register([{ name: 'MATH', ... }])`: a client under each name.
    Clients,
}

impl FromArgs {
    /// Whether `method` is the one whose arguments name the tokens: `forRoot()` and the like
    /// configure a connection and register none of them.
    pub fn registers_through(self, method: Option<&str>) -> bool {
        let Some(method) = method else {
            return false;
        };
        match self {
            FromArgs::None => false,
            FromArgs::Repositories | FromArgs::MongooseModels | FromArgs::SequelizeModels => {
                matches!(method, "forFeature" | "forFeatureAsync")
            }
            FromArgs::Queues => matches!(method, "registerQueue" | "registerQueueAsync"),
            FromArgs::Clients => matches!(method, "register" | "registerAsync"),
        }
    }
}

/// When a package module's exports are global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    Never,
    Always,
    /// When the first argument's object sets this option to `true` (`isGlobal: true`).
    IfOption(&'static str),
    /// When imported through this static method (`CqrsModule.forRoot()`).
    IfMethod(&'static str),
}

const fn module(source: &'static str, module: &'static str) -> PackageModule {
    PackageModule {
        source,
        module,
        exports: &[],
        from_args: FromArgs::None,
        global: Global::Never,
        root_globals: &[],
    }
}

/// The package modules nestlint knows.
pub const PACKAGE_MODULES: &[PackageModule] = &[
    PackageModule {
        exports: &["JwtService"],
        global: Global::IfOption("global"),
        ..module("@nestjs/jwt", "JwtModule")
    },
    PackageModule {
        exports: &["HttpService"],
        global: Global::IfOption("global"),
        ..module("@nestjs/axios", "HttpModule")
    },
    PackageModule {
        exports: &["ConfigService"],
        global: Global::IfOption("isGlobal"),
        ..module("@nestjs/config", "ConfigModule")
    },
    PackageModule {
        from_args: FromArgs::Repositories,
        root_globals: &["DataSource", "EntityManager", "Connection"],
        ..module("@nestjs/typeorm", "TypeOrmModule")
    },
    PackageModule {
        from_args: FromArgs::MongooseModels,
        root_globals: &["Connection"],
        ..module("@nestjs/mongoose", "MongooseModule")
    },
    PackageModule {
        from_args: FromArgs::SequelizeModels,
        root_globals: &["Sequelize"],
        ..module("@nestjs/sequelize", "SequelizeModule")
    },
    PackageModule {
        exports: &["CACHE_MANAGER"],
        global: Global::IfOption("isGlobal"),
        ..module("@nestjs/cache-manager", "CacheModule")
    },
    PackageModule {
        exports: &["CACHE_MANAGER"],
        global: Global::IfOption("isGlobal"),
        ..module("@nestjs/common", "CacheModule")
    },
    PackageModule {
        exports: &["HttpService"],
        ..module("@nestjs/common", "HttpModule")
    },
    PackageModule {
        from_args: FromArgs::Queues,
        ..module("@nestjs/bull", "BullModule")
    },
    PackageModule {
        from_args: FromArgs::Queues,
        ..module("@nestjs/bullmq", "BullModule")
    },
    PackageModule {
        exports: &["EventEmitter2"],
        global: Global::Always,
        ..module("@nestjs/event-emitter", "EventEmitterModule")
    },
    PackageModule {
        exports: &["SchedulerRegistry"],
        global: Global::Always,
        ..module("@nestjs/schedule", "ScheduleModule")
    },
    PackageModule {
        exports: &[
            "HealthCheckService",
            "HealthIndicatorService",
            "TypeOrmHealthIndicator",
            "MongooseHealthIndicator",
            "SequelizeHealthIndicator",
            "PrismaHealthIndicator",
            "HttpHealthIndicator",
            "MemoryHealthIndicator",
            "DiskHealthIndicator",
            "MicroserviceHealthIndicator",
            "GRPCHealthIndicator",
        ],
        ..module("@nestjs/terminus", "TerminusModule")
    },
    PackageModule {
        exports: &["CommandBus", "QueryBus", "EventBus", "EventPublisher"],
        global: Global::IfMethod("forRoot"),
        ..module("@nestjs/cqrs", "CqrsModule")
    },
    PackageModule {
        exports: &[],
        ..module("@nestjs/passport", "PassportModule")
    },
    PackageModule {
        from_args: FromArgs::Clients,
        ..module("@nestjs/microservices", "ClientsModule")
    },
    PackageModule {
        exports: &["DiscoveryService", "MetadataScanner"],
        ..module("@nestjs/core", "DiscoveryModule")
    },
    PackageModule {
        exports: &["ElasticsearchService"],
        ..module("@nestjs/elasticsearch", "ElasticsearchModule")
    },
];

/// What Nest itself provides in every module: `@nestjs/core` exports injectable anywhere.
pub const NEST_CORE_PROVIDERS: &[&str] = &[
    "Reflector",
    "ModuleRef",
    "HttpAdapterHost",
    "LazyModuleLoader",
    "ModulesContainer",
    "ApplicationConfig",
    "REQUEST",
    "INQUIRER",
    "SerializedGraph",
];

/// The package module `name` exported by `source`, if nestlint knows it.
pub fn package_module(source: &str, name: &str) -> Option<&'static PackageModule> {
    PACKAGE_MODULES
        .iter()
        .find(|m| m.source == source && m.module == name)
}
