// Squads over NATS (DESIGN §13): the NATS URL of the settings, "Check connection" and the
// Workers page. Types are generated from the Rust DTOs (ui/src/gen/).
import type { DeptWorkersDto } from "../gen/DeptWorkersDto";
import type { NatsCheck } from "../gen/NatsCheck";
import type { SquadStatus } from "../gen/SquadStatus";
import type { WorkerJobDto } from "../gen/WorkerJobDto";
import type { WorkerStatusDto } from "../gen/WorkerStatusDto";
import { call, type Settings } from "./index";

export type { DeptWorkersDto, NatsCheck, SquadStatus, WorkerJobDto, WorkerStatusDto };

export const squad = {
  /** Sets the NATS URL (`null` or blank: runs use the local engine). */
  setNatsUrl: (url: string | null) => call<Settings>("set_nats_url", { url }),
  /** Checks `url`, or the URL of the settings when `null`. */
  checkNats: (url: string | null) => call<NatsCheck>("check_nats", { url }),
  status: () => call<SquadStatus>("squad_status"),
};
