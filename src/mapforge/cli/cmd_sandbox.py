"""``mapforge sandbox build|doctor|cleanup``: the sandbox image, what is enforced here, and leftovers."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from mapforge.errors import UserError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("sandbox", help="build the sandbox image, check isolation, remove leftovers",
                              description=__doc__)
    sub = p.add_subparsers(dest="sandbox_command", metavar="VERB", required=True)

    b = sub.add_parser("build", help="build the docker sandbox image (offline from Debian's packages if needed)")
    b.add_argument("--method", choices=("auto", "dockerfile", "debootstrap"), default="auto",
                   help="auto: the Dockerfile where a registry answers, else debootstrap (default)")
    b.add_argument("--mirror", help="Debian mirror for debootstrap (default: $MAPFORGE_DEBIAN_MIRROR or "
                                    "deb.debian.org)")
    b.add_argument("--tag", help="image tag (default: mapforge-sandbox:<recipe hash>, which jobs look for)")
    b.add_argument("--force", action="store_true", help="rebuild even if the image exists")
    b.add_argument("--print-dockerfile", action="store_true", help="print the Dockerfile and exit")
    b.set_defaults(func=cmd_build)

    d = sub.add_parser("doctor", help="report engine, image, bubblewrap and which limits each backend enforces")
    d.add_argument("--json", action="store_true", help="one JSON object on stdout")
    d.set_defaults(func=cmd_doctor)

    c = sub.add_parser("cleanup", help="remove sandbox containers left behind by killed jobs (never a live job's)")
    c.add_argument("--run", help="only containers of this run id (label mapforge.run)")
    c.add_argument("--images", action="store_true", help="also remove sandbox images of older recipes")
    c.add_argument("--dry-run", action="store_true", help="list what would be removed")
    c.add_argument("--force", action="store_true",
                   help="also remove containers whose job cannot be told alive (another host, older mapforge)")
    c.set_defaults(func=cmd_cleanup)


def _say(msg: str) -> None:
    print(msg, file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    from mapforge.sandbox.docker import docker_client
    from mapforge.sandbox.image import build_image, dockerfile, image_exists, image_tag

    if args.print_dockerfile:
        print(dockerfile(), end="")
        return 0
    client = docker_client(timeout=900)
    tag = args.tag or image_tag()
    if image_exists(client, tag) and not args.force:
        _say(f"sandbox image {tag} is already built (use --force to rebuild)")
        return 0
    tag = build_image(client, method=args.method, tag=tag, mirror=args.mirror, log=_say)
    _say(f"built sandbox image {tag}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from mapforge.sandbox import doctor
    from mapforge.sandbox.local import LocalSandbox

    out: dict[str, Any] = {"host": doctor.host_facts(), "backends": {}}
    with tempfile.NamedTemporaryFile(prefix="mapforge-doctor-hidden-") as hidden:
        # a world-readable file outside the work dir stands in for a task's hidden tests; cwd for the repo
        os.chmod(hidden.name, 0o644)
        # a file of the current folder (the repository, a task folder...), not the folder itself: the
        # running Python's own install may live below it and be mapped in read-only
        cwd_files = sorted(p for p in Path.cwd().iterdir() if p.is_file()) if str(Path.cwd()) != "/" else []
        os_hidden = [hidden.name] + [str(p) for p in cwd_files[:1]]
        with LocalSandbox() as sb:
            out["backends"]["local"] = doctor.probe(sb, os_hidden).__dict__
        if out["host"]["docker_usable"] == "yes":
            from mapforge.sandbox import make_sandbox_factory
            from mapforge.sandbox.docker import docker_client

            client = docker_client()
            out["host"].update(doctor.docker_engine_facts(client))
            factory = make_sandbox_factory("docker", run_id="doctor", pool_size=0)
            try:
                with factory() as dsb:
                    out["backends"]["docker"] = doctor.probe(dsb, os_hidden).__dict__
            finally:
                factory.close()
    if args.json:
        print(json.dumps(out))
        return 0
    for k, v in out["host"].items():
        _say(f"{k:>16}: {v}")
    for name, rep in out["backends"].items():
        _say(f"\n[{name}] {'; '.join(rep['notes'])}")
        _say("  enforced: " + (", ".join(rep["enforced"]) or "-"))
        _say("  MISSING:  " + (", ".join(rep["missing"]) or "nothing"))
        _say(f"  network probe: {rep['facts'].get('network', '?')}")
    if out["host"]["docker_usable"] != "yes":
        _say("\n[docker] not usable: " + out["host"]["docker"])
    return 0


def cmd_cleanup(args: argparse.Namespace) -> int:
    from mapforge.sandbox.docker import LABEL_OWNER, LABEL_RUN, docker_client, remove_container
    from mapforge.sandbox.image import REPOSITORY, image_tag

    try:
        import docker  # noqa: F401
    except ImportError:
        _say("docker SDK not installed: no docker sandboxes to clean up")
        return 0
    from mapforge.sandbox.reaper import owner_alive, reap_orphans

    client = docker_client(timeout=60)
    if args.run:  # one run's containers, but never while its job is alive
        found = client.containers.list(all=True, filters={"label": f"{LABEL_RUN}={args.run}"})
        live = [c for c in found if owner_alive(c.labels)]
        for c in (c for c in found if c not in live):
            _say(f"{'would remove' if args.dry_run else 'removing'} {c.name} (run {args.run}, {c.status})")
            if not args.dry_run:
                remove_container(c)
        gone, kept = [c for c in found if c not in live], live
    else:
        gone, kept = reap_orphans(client, _say, dry_run=args.dry_run, unknown_too=args.force)
    live = [c for c in kept if owner_alive(c.labels)]
    if live:
        pids = sorted({c.labels.get(LABEL_OWNER, "").split("/")[1] for c in live})
        _say(f"kept {len(live)} container(s) of running job(s) (pid {', '.join(pids)})")
    unknown = [c for c in kept if owner_alive(c.labels) is None]
    if unknown:
        _say(f"kept {len(unknown)} container(s) whose job cannot be told alive (another host or an older "
             "mapforge): --force removes them")
    _say(f"{len(gone)} sandbox container(s) {'found' if args.dry_run else 'removed'}")
    if args.images:
        current = image_tag()
        for img in client.images.list(name=REPOSITORY):
            stale = [t for t in img.tags if t != current]
            if stale and current not in img.tags:
                for t in stale:
                    _say(f"{'would remove' if args.dry_run else 'removing'} image {t}")
                    if not args.dry_run:
                        try:
                            client.images.remove(t)
                        except Exception as e:  # docker.errors.APIError: in use, etc.
                            raise UserError(f"could not remove image {t}: {e}. Run `mapforge sandbox cleanup` "
                                            "first to remove containers using it.") from None
    return 0
