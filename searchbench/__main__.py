from searchbench.cli.main import main

raise SystemExit(main())
